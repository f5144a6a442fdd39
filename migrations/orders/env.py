"""Alembic environment of the orders database."""

from api.orders.models import Base
from common.db.alembic_env import run_migrations

run_migrations(Base.metadata)
