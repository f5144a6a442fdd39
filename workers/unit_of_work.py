"""The idempotent unit of work of a consumer: handler outcomes and handle_message."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from common.db import Database
from common.events.envelope import Envelope
from common.logging import request_id_var
from common.outbox import OutboxTables


class Outcome(Enum):
    """What a handler did with an event."""

    APPLIED = "applied"
    IGNORED = "ignored"
    RETRY_LATER = "retry_later"


Handler = Callable[[Session, Envelope], Outcome]


_UNNESTED = sa.select(
    sa.func.unnest(sa.bindparam("ids", type_=ARRAY(sa.Uuid()))),
    sa.func.unnest(sa.bindparam("types", type_=ARRAY(sa.String()))),
)


class _RetryLater(Exception):
    """Internal: roll the unit of work back because the event came too early."""


def handle_message(
    db: Database, tables: OutboxTables, handlers: Mapping[str, Handler], envelope: Envelope
) -> Outcome:
    """Run the handler in one transaction with the processed mark (idempotent: by event id)."""
    outcomes = handle_batch(db, tables, handlers, [envelope])
    return Outcome.RETRY_LATER if outcomes is None else outcomes[0]


def handle_batch(
    db: Database,
    tables: OutboxTables,
    handlers: Mapping[str, Handler],
    envelopes: Sequence[Envelope],
) -> list[Outcome] | None:
    """Handle several events, in order, in one transaction; their outcomes, one per event.

    Under load a consumer fetches events faster than one commit each would allow: one
    transaction with one claim statement for the whole batch costs a fraction of that.
    All or nothing: when any event must wait for its predecessor the batch is rolled back
    and None returned, and an exception rolls it back too; the caller then handles the
    events one by one with `handle_message`, which settles each on its own.
    """
    known = [envelope for envelope in envelopes if envelope.type in handlers]
    outcomes = {envelope.id: Outcome.IGNORED for envelope in envelopes}
    try:
        with db.transaction() as session:
            unclaimed = _claim(session, tables, known)
            for envelope in known:
                if envelope.id not in unclaimed:
                    continue  # processed before, or a duplicate earlier in this batch
                unclaimed.discard(envelope.id)
                token = request_id_var.set(envelope.correlation_id)
                try:
                    outcome = handlers[envelope.type](session, envelope)
                finally:
                    request_id_var.reset(token)
                if outcome is Outcome.RETRY_LATER:
                    raise _RetryLater
                outcomes[envelope.id] = outcome
    except _RetryLater:
        return None
    return [outcomes[envelope.id] for envelope in envelopes]


def _claim(session: Session, tables: OutboxTables, envelopes: Sequence[Envelope]) -> set[Any]:
    """Claim every event id in one statement; the ids that were not processed before."""
    if not envelopes:
        return set()
    if len(envelopes) == 1:  # the usual case when caught up; arrays cost more to send
        [envelope] = envelopes
        params = {"event_id": envelope.id, "event_type": envelope.type}
        return set(session.execute(_claim_one_statement(tables), params).scalars())
    ids = [envelope.id for envelope in envelopes]
    types = [envelope.type for envelope in envelopes]
    return set(session.execute(_claim_statement(tables), {"ids": ids, "types": types}).scalars())


@functools.cache
def _claim_statement(tables: OutboxTables) -> ReturningInsert[tuple[Any]]:
    """Built once per service; unnest keeps one statement (one plan) whatever the batch size."""
    processed = tables.processed
    return (
        insert(processed)
        .from_select(["event_id", "event_type"], _UNNESTED)
        .on_conflict_do_nothing(index_elements=[processed.c.event_id])
        .returning(processed.c.event_id)
    )


@functools.cache
def _claim_one_statement(tables: OutboxTables) -> ReturningInsert[tuple[Any]]:
    processed = tables.processed
    return (
        insert(processed)
        .values(event_id=sa.bindparam("event_id"), event_type=sa.bindparam("event_type"))
        .on_conflict_do_nothing(index_elements=[processed.c.event_id])
        .returning(processed.c.event_id)
    )


def was_processed(db: Database, tables: OutboxTables, envelope: Envelope) -> bool:
    """Whether the event's id is recorded as processed by this service."""
    with db.transaction() as session:
        found = session.execute(
            sa.select(tables.processed.c.event_id).where(tables.processed.c.event_id == envelope.id)
        ).first()
    return found is not None
