"""SQLAlchemy 2 plumbing: declarative base, one engine per app, one transaction per use case."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import DateTime, MetaData, Uuid, create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp that refuses naive datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value


TYPE_ANNOTATION_MAP = {datetime: UtcDateTime(), uuid.UUID: Uuid()}


def service_metadata() -> MetaData:
    """A MetaData of its own per service (services never share tables), with stable names."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, *, pool_size: int = 10, pool_timeout: float = 30.0) -> Engine:
    """One engine per app or worker process; `pool_timeout` bounds the wait for a connection.

    No pre-ping: it would cost a round trip per transaction. A connection found dead makes
    SQLAlchemy drop the whole pool; that one request fails (503 in the HTTP services, an
    in-hand retry in the consumers) and the next ones reconnect.
    """
    return create_engine(url, pool_size=pool_size, max_overflow=20, pool_timeout=pool_timeout)


class Database:
    """An engine and its session factory."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str, *, pool_timeout: float = 30.0) -> Database:
        """HTTP services pass their admission bound: no request waits longer for a connection."""
        return cls(make_engine(url, pool_timeout=pool_timeout))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any error."""
        with self.sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
