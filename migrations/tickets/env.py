"""Alembic environment of the tickets database."""

from api.tickets.models import Base
from common.db.alembic_env import run_migrations

run_migrations(Base.metadata)
