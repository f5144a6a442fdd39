"""Alembic environment of the payments database."""

from api.payments.models import Base
from common.db.alembic_env import run_migrations

run_migrations(Base.metadata)
