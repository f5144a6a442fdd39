"""The outbox: events exist exactly when the change they describe was committed."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest
import sqlalchemy as sa

from common.outbox import NOTIFY_CHANNEL
from tests.integration.workers import backbone as schema
from tests.integration.workers.support import Backbone
from workers.runtime import psycopg_conninfo


def test_event_row_is_written_in_the_same_transaction_as_the_change(backbone: Backbone) -> None:
    ticket_id = uuid.uuid4()
    with backbone.db.transaction() as session:
        event = schema.save_ticket(session, ticket_id, 1, "Concert")
    [row] = backbone.rows(schema.TABLES.outbox)
    assert (row.event_id, row.event_type, row.aggregate_id) == (
        event.id,
        "tickets.created",
        ticket_id,
    )
    assert json.loads(row.payload)["data"]["title"] == "Concert"
    assert row.published_at is None


def test_a_rolled_back_change_leaves_no_event(backbone: Backbone) -> None:
    with pytest.raises(RuntimeError), backbone.db.transaction() as session:
        schema.save_ticket(session, uuid.uuid4(), 1, "Concert")
        raise RuntimeError("the use case failed after recording")
    assert backbone.count(schema.tickets) == 0
    assert backbone.count(schema.TABLES.outbox) == 0


def test_sequence_follows_the_order_of_records(backbone: Backbone) -> None:
    ticket_id = uuid.uuid4()
    for version in (1, 2, 3):
        with backbone.db.transaction() as session:
            schema.save_ticket(session, ticket_id, version, f"v{version}")
    rows = sorted(backbone.rows(schema.TABLES.outbox), key=lambda row: row.sequence)
    assert [json.loads(row.payload)["data"]["version"] for row in rows] == [1, 2, 3]


def test_notification_is_delivered_at_commit_and_never_for_a_rollback(backbone: Backbone) -> None:
    with psycopg.connect(psycopg_conninfo(backbone.url), autocommit=True) as listener:
        listener.execute(sa.text(f"LISTEN {NOTIFY_CHANNEL}").text)
        with pytest.raises(RuntimeError), backbone.db.transaction() as session:
            schema.save_ticket(session, uuid.uuid4(), 1, "Rolled back")
            raise RuntimeError
        assert list(listener.notifies(timeout=0.3)) == []
        with backbone.db.transaction() as session:
            schema.save_ticket(session, uuid.uuid4(), 1, "Committed")
            assert list(listener.notifies(timeout=0.3)) == []
        assert [n.channel for n in listener.notifies(timeout=2, stop_after=1)] == [NOTIFY_CHANNEL]
