"""The tickets service's consumer process: `python -m workers.tickets.consumer`."""

from __future__ import annotations

from api.tickets.config import TicketsSettings
from api.tickets.models import OUTBOX
from workers.consumers import consumer_process
from workers.tickets.handlers import HANDLERS


def main() -> int:
    """Apply orders.created / cancelled / completed to the tickets database until SIGTERM."""
    settings = TicketsSettings.from_env().service
    return consumer_process("tickets", settings, OUTBOX, HANDLERS)


if __name__ == "__main__":
    raise SystemExit(main())
