"""Alembic environment of the webhooks database."""

from api.webhooks.models import Base
from common.db.alembic_env import run_migrations

run_migrations(Base.metadata)
