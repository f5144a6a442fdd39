"""What a service's operator endpoints read: its database, NATS stream, Dramatiq queues."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flask import current_app

from common.config import Env, ServiceSettings
from common.db import Database
from common.events.streams import EventSettings
from common.outbox import OutboxTables


@dataclass(frozen=True)
class OpsContext:
    """One service's view of the backbone for the operators' console."""

    service: str
    db: Database
    tables: OutboxTables
    nats_url: str
    events: EventSettings
    redis_url: str
    dramatiq_namespace: str
    queues: Sequence[str]
    durable_prefixes: Sequence[str]

    @classmethod
    def from_env(
        cls,
        settings: ServiceSettings,
        db: Database,
        tables: OutboxTables,
        queues: Sequence[str] = (),
        durable_prefixes: Sequence[str] = (),
        environ: Mapping[str, str] | None = None,
    ) -> OpsContext:
        env = Env(environ)
        return cls(
            service=settings.service,
            db=db,
            tables=tables,
            nats_url=settings.nats_url,
            events=EventSettings.from_env(environ),
            redis_url=env.str("DRAMATIQ_REDIS_URL", "") or settings.redis_url,
            dramatiq_namespace=env.str("DRAMATIQ_NAMESPACE", "ticketing"),
            queues=tuple(queues),
            durable_prefixes=tuple(durable_prefixes) or (f"{settings.service}-",),
        )


def ops_context() -> OpsContext:
    """The context of the app handling the request."""
    return current_app.extensions["ops"]  # type: ignore[no-any-return]
