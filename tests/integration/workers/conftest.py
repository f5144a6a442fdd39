"""Fixtures of the backbone tests: the test service's database and a private stream per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from common.db import Database
from common.events.streams import EventSettings
from tests.conftest import SERVER_URL, drop_database, worker_suffix
from tests.integration.workers import backbone as schema
from tests.integration.workers.support import Backbone, delete_stream, run_async


@pytest.fixture(scope="session")
def backbone_url() -> Iterator[str]:
    """A database of the test-only backbone service, created from its metadata, dropped after."""
    name = f"ticketing_test_backbone{worker_suffix()}"
    drop_database(name)
    admin = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    schema.metadata.create_all(engine)
    engine.dispose()
    yield url
    drop_database(name)


@pytest.fixture
def backbone(backbone_url: str) -> Iterator[Backbone]:
    """Empty backbone tables and a stream + subject prefix nobody else uses."""
    engine = sa.create_engine(backbone_url)
    with engine.begin() as connection:
        names = ", ".join(f'"{t.name}"' for t in schema.metadata.sorted_tables)
        connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY"))
    engine.dispose()
    tag = uuid.uuid4().hex
    events = EventSettings(
        stream=f"TEST_{tag}",
        subject_prefix=f"test_{tag}",
        max_deliver=3,
        retry_delays=(0.1, 0.2, 0.3),
        ack_wait_seconds=5,
    )
    db = Database.from_url(backbone_url)
    yield Backbone(backbone_url, db, events)
    db.dispose()
    run_async(lambda: delete_stream(events.stream))
