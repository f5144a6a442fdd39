"""Remove what one stack run left on shared servers: its databases and its JetStream stream."""

from __future__ import annotations

import asyncio

import nats
import sqlalchemy as sa
from nats.js.errors import NotFoundError

from common.config import normalise_database_url


def drop_databases(server_url: str, prefix: str) -> list[str]:
    """Drop every database whose name starts with `prefix`; their names."""
    engine = sa.create_engine(normalise_database_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            names = list(
                connection.scalars(
                    sa.text("SELECT datname FROM pg_database WHERE datname LIKE :pattern"),
                    {"pattern": prefix.replace("_", r"\_") + "%"},
                )
            )
            for name in names:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()
    return names


def delete_stream(nats_url: str, stream: str) -> bool:
    """Delete a JetStream stream and its consumers; whether it existed."""

    async def delete() -> bool:
        connection = await nats.connect(nats_url)
        try:
            await connection.jetstream().delete_stream(stream)
        except NotFoundError:
            return False
        finally:
            await connection.close()
        return True

    return asyncio.run(delete())
