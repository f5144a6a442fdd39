"""Process plumbing shared by the relay and the consumers: signals, NATS and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import signal

import nats
from nats.aio.client import Client
from sqlalchemy.engine import make_url

from common.config import normalise_database_url

log = logging.getLogger(__name__)


def stop_on_signals(stop: asyncio.Event) -> None:
    """Set `stop` on SIGTERM or SIGINT, so the process finishes the work in hand and exits."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)


async def connect_nats(url: str, name: str) -> Client:
    """A NATS connection that keeps reconnecting for as long as the process lives."""

    async def error_cb(exc: Exception) -> None:
        log.warning("nats error: %s", exc)

    return await nats.connect(
        servers=url.split(","),
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        error_cb=error_cb,
    )


def psycopg_conninfo(database_url: str) -> str:
    """A libpq URL for psycopg from the SQLAlchemy-style DATABASE_URL."""
    url = make_url(normalise_database_url(database_url)).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)
