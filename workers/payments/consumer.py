"""The payments service's consumer process: `python -m workers.payments.consumer`."""

from __future__ import annotations

from api.payments.config import PaymentsSettings
from api.payments.models import OUTBOX
from workers.consumers import consumer_process
from workers.payments.handlers import HANDLERS


def main() -> int:
    """Keep the orders replica of the payments database up to date until SIGTERM."""
    settings = PaymentsSettings.from_env().service
    return consumer_process("payments", settings, OUTBOX, HANDLERS)


if __name__ == "__main__":
    raise SystemExit(main())
