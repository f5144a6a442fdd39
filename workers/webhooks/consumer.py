"""The webhooks service's consumer process: `python -m workers.webhooks.consumer`."""

from __future__ import annotations

from api.webhooks.config import WebhooksSettings
from api.webhooks.models import OUTBOX
from common.clock import SystemClock
from workers.consumers import consumer_process
from workers.webhooks.handlers import make_handlers


def main() -> int:
    """Turn platform events into pending deliveries until SIGTERM (never sends anything)."""
    settings = WebhooksSettings.from_env()
    handlers = make_handlers(SystemClock(), settings.retry_for)
    return consumer_process("webhooks", settings.service, OUTBOX, handlers)


if __name__ == "__main__":
    raise SystemExit(main())
