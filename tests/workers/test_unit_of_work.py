"""handle_message: one transaction per event, claimed by id, rolled back unless it succeeds."""

from __future__ import annotations

import uuid

import pytest

from common.events.catalogue import EXPIRATION_COMPLETED
from common.events.envelope import Envelope, new_event
from tests.workers import backbone as schema
from tests.workers.support import Backbone
from workers.consumers import Outcome, handle_message, was_processed


def _handle(backbone: Backbone, event: Envelope) -> Outcome:
    return handle_message(backbone.db, schema.TABLES, schema.HANDLERS, event)


def test_an_event_is_applied_once_and_its_duplicate_is_ignored(backbone: Backbone) -> None:
    event = schema.ticket_event(uuid.uuid4(), 1, "Concert")
    assert _handle(backbone, event) is Outcome.APPLIED
    assert _handle(backbone, event) is Outcome.IGNORED
    assert backbone.applications() == 1
    assert was_processed(backbone.db, schema.TABLES, event)


def test_an_event_ahead_of_its_predecessor_is_rolled_back_for_later(backbone: Backbone) -> None:
    ticket_id = uuid.uuid4()
    ahead = schema.ticket_event(ticket_id, 2, "v2")
    assert _handle(backbone, ahead) is Outcome.RETRY_LATER
    assert not was_processed(backbone.db, schema.TABLES, ahead)
    assert _handle(backbone, schema.ticket_event(ticket_id, 1, "v1")) is Outcome.APPLIED
    assert _handle(backbone, ahead) is Outcome.APPLIED
    [row] = backbone.rows(schema.replica)
    assert (row.version, row.title) == (2, "v2")


def test_a_failing_handler_leaves_the_event_unprocessed(backbone: Backbone) -> None:
    with backbone.db.transaction() as session:
        session.execute(schema.faults.insert().values(title="Poison"))
    event = schema.ticket_event(uuid.uuid4(), 1, "Poison")
    with pytest.raises(RuntimeError, match="poisoned"):
        _handle(backbone, event)
    assert not was_processed(backbone.db, schema.TABLES, event)
    assert backbone.count(schema.replica) == 0


def test_a_stale_event_is_ignored_but_recorded(backbone: Backbone) -> None:
    ticket_id = uuid.uuid4()
    for version in (1, 2):
        _handle(backbone, schema.ticket_event(ticket_id, version, f"v{version}"))
    stale = schema.ticket_event(ticket_id, 1, "old news")
    assert _handle(backbone, stale) is Outcome.IGNORED
    assert was_processed(backbone.db, schema.TABLES, stale)
    assert backbone.rows(schema.replica)[0].title == "v2"


def test_an_event_type_without_a_handler_is_ignored(backbone: Backbone) -> None:
    event = new_event(EXPIRATION_COMPLETED, {"orderId": str(uuid.uuid4())})
    assert _handle(backbone, event) is Outcome.IGNORED
    assert not was_processed(backbone.db, schema.TABLES, event)
