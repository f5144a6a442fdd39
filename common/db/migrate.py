"""Create a service's database if missing and bring it to the newest Alembic revision.

Usage: python -m common.db.migrate SERVICE   (DATABASE_URL names the service's database)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from common.config import DEFAULT_DATABASE_URL, normalise_database_url

MIGRATIONS_ROOT = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(service: str, database_url: str) -> Config:
    """The Alembic configuration of one service's history."""
    folder = MIGRATIONS_ROOT / service
    if not folder.is_dir():
        raise SystemExit(f"no migrations for service {service!r} in {folder}")
    config = Config()
    config.set_main_option("script_location", str(folder))
    config.set_main_option("path_separator", "os")
    config.attributes["database_url"] = database_url
    return config


def ensure_database(database_url: str) -> None:
    """CREATE DATABASE when it does not exist yet (safe when two processes race)."""
    url = make_url(database_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
            )
            if not exists:
                try:
                    connection.execute(text(f'CREATE DATABASE "{url.database}"'))
                except ProgrammingError as exc:
                    if "already exists" not in str(exc):
                        raise
    finally:
        admin.dispose()


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    """Create the database if needed and upgrade it to `revision`."""
    ensure_database(database_url)
    command.upgrade(alembic_config(service, database_url), revision)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    url = normalise_database_url(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    upgrade(argv[0], url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
