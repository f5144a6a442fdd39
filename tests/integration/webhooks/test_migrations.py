"""The migrations this feature adds match their models (webhooks, and auth's API keys)."""

from __future__ import annotations

from collections.abc import Callable

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from api.auth.api_keys.models import ApiKey
from api.webhooks.models import Base
from common.db import Database


def matches(url: str, metadata: object) -> list[object]:
    database = Database.from_url(url)
    try:
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))  # type: ignore[arg-type]
    finally:
        database.dispose()


def test_the_webhooks_migration_matches_the_models(
    service_env: Callable[..., dict[str, str]],
) -> None:
    assert matches(service_env("webhooks")["DATABASE_URL"], Base.metadata) == []


def test_the_auth_migrations_match_the_models_with_api_keys(
    service_env: Callable[..., dict[str, str]],
) -> None:
    url = service_env("auth", signer=True)["DATABASE_URL"]
    assert matches(url, ApiKey.metadata) == []
