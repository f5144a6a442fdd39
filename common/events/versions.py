"""Version ordering of replicated records: apply N only on top of N-1."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session


class VersionCheck(Enum):
    """What a replica does with an incoming snapshot."""

    APPLY = "apply"
    STALE = "stale"
    AHEAD = "ahead"


def classify_version(current: int | None, incoming: int, *, initial: int = 1) -> VersionCheck:
    """APPLY the successor of `current` (or `initial` with no replica), STALE older, AHEAD newer."""
    expected = initial if current is None else current + 1
    if incoming == expected:
        return VersionCheck.APPLY
    return VersionCheck.STALE if incoming < expected else VersionCheck.AHEAD


class VersionedReplica:
    """A replica table fed by full snapshots: version N is written only on top of N-1.

    The statements are built once: a consumer runs them for every event, and building them
    per event would cost more CPU than PostgreSQL spends running them.
    """

    def __init__(self, table: sa.Table, *, initial: int = 1) -> None:
        key = table.c.id
        self.initial = initial
        self._current = sa.select(table.c.version).where(key == sa.bindparam("row_id"))
        self._insert = insert(table).on_conflict_do_nothing(index_elements=[key]).returning(key)
        # The version condition is evaluated again after waiting for a concurrent writer's
        # row lock, so of two consumers applying the same snapshot exactly one matches.
        self._update = (
            sa.update(table)
            .where(key == sa.bindparam("row_id"), table.c.version == sa.bindparam("previous"))
            .returning(key)
        )

    def apply(
        self, session: Session, row_id: uuid.UUID, columns: Mapping[str, Any]
    ) -> VersionCheck:
        """Store the snapshot `columns` (with its `version`) of record `row_id` if it is next.

        One statement when it is (the usual case): an insert of the first version, or an
        update conditional on the previous one. Otherwise the current version tells STALE
        (older, or the same version again: nothing changes) from AHEAD (a predecessor is
        missing: nothing changes and the event is retried later).
        """
        version = int(columns["version"])
        if version == self.initial:
            inserted = session.execute(self._insert, {"id": row_id, **columns}).first()
            return VersionCheck.APPLY if inserted else VersionCheck.STALE
        params = {"row_id": row_id, "previous": version - 1, **columns}
        if session.execute(self._update, params).first() is not None:
            return VersionCheck.APPLY
        current = session.execute(self._current, {"row_id": row_id}).scalar()
        verdict = classify_version(current, version, initial=self.initial)
        # An update that did not match means the version was not next when it looked.
        return VersionCheck.AHEAD if verdict is VersionCheck.APPLY else verdict
