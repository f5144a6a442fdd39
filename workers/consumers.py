"""Consuming events: handler outcomes, the idempotent unit of work, the consumer process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from common.config import ServiceSettings
from common.db import Database
from common.events.streams import EventSettings
from common.http.health import database_check, nats_check
from common.logging import configure_logging
from common.outbox import OutboxTables
from workers.health_collectors import dead_letter_collector
from workers.health_server import serve_worker_health
from workers.jetstream import ConsumerSpec, consume
from workers.runtime import stop_on_signals
from workers.unit_of_work import Handler, Outcome, handle_message, was_processed

__all__ = ["Handler", "Outcome", "handle_message", "run_consumer", "was_processed"]

log = logging.getLogger(__name__)


def run_consumer(
    service: str,
    db: Database,
    tables: OutboxTables,
    handlers: Mapping[str, Handler],
    settings: ServiceSettings,
    *,
    events: EventSettings | None = None,
) -> None:
    """Consume the service's events until SIGTERM/SIGINT; each is handled once per event id."""
    configure_logging(f"{service}-consumer", settings.log_level)
    spec = ConsumerSpec(service, db, tables, handlers, events or EventSettings.from_env())

    async def main() -> None:
        stop = asyncio.Event()
        stop_on_signals(stop)
        await consume(spec, settings.nats_url, stop)

    log.info("consumer starting", extra={"eventTypes": sorted(handlers)})
    asyncio.run(main())
    log.info("consumer stopped")


def consumer_process(
    service: str,
    settings: ServiceSettings,
    tables: OutboxTables,
    handlers: Mapping[str, Handler],
) -> int:
    """The body of a service's consumer process: one engine, consume until SIGTERM, exit 0."""
    db = Database.from_url(settings.database_url)
    health = serve_worker_health(
        f"{service}-consumer",
        {"database": database_check(db.engine), "nats": nats_check(settings.nats_url)},
        [dead_letter_collector(service, db, tables)],
    )
    try:
        run_consumer(service, db, tables, handlers, settings)
    finally:
        if health is not None:
            health.close()
        db.dispose()
    return 0
