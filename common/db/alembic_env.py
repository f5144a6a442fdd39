"""The body every service's migrations/<service>/env.py runs."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import MetaData, create_engine, pool, text

from common.config import DEFAULT_DATABASE_URL, normalise_database_url


def run_migrations(metadata: MetaData, version_table: str = "alembic_version") -> None:
    """Run migrations online against the service's database (offline SQL when asked)."""
    config = context.config
    url = config.attributes.get("database_url") or normalise_database_url(
        os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    if context.is_offline_mode():
        context.configure(
            url=url, target_metadata=metadata, literal_binds=True, version_table=version_table
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                version_table=version_table,
                compare_type=True,
            )
            with context.begin_transaction():
                # Replicas may start together: one migrates, the others wait and find it done.
                connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('alembic'))"))
                context.run_migrations()
    finally:
        engine.dispose()
