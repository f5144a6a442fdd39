"""Alembic environment of the auth database."""

from api.auth import operators  # noqa: F401 - declares the operators table on Base.metadata
from api.auth.api_keys.models import ApiKey  # noqa: F401 (its table joins the metadata)
from api.auth.models import Base
from common.db.alembic_env import run_migrations

run_migrations(Base.metadata)
