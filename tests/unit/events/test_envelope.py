"""The envelope: camelCase JSON on the wire, validated both ways, round-trips exactly."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from common.clock import FrozenClock
from common.events import catalogue
from common.events.envelope import Envelope, new_event
from common.logging import request_id_var
from tests.unit.events.examples import VALID, ticket

MOMENT = datetime(2026, 11, 24, 20, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize("event_type", sorted(VALID))
def test_every_event_round_trips_through_json(event_type: str) -> None:
    event = new_event(event_type, VALID[event_type], clock=FrozenClock(MOMENT))
    assert Envelope.from_json(event.to_json()) == event


def test_wire_form_uses_camel_case_keys_and_utc_z_times() -> None:
    event = new_event(
        catalogue.TICKET_CREATED, ticket(), clock=FrozenClock(MOMENT), correlation_id="req-1"
    )
    body = json.loads(event.to_json())
    assert body == {
        "id": str(event.id),
        "type": "tickets.created",
        "occurredAt": "2026-11-24T20:00:00.123Z",
        "correlationId": "req-1",
        "data": ticket(),
    }


def test_each_event_gets_a_fresh_id() -> None:
    first = new_event(catalogue.TICKET_CREATED, ticket())
    second = new_event(catalogue.TICKET_CREATED, ticket())
    assert first.id != second.id


def test_correlation_id_defaults_to_the_request_id() -> None:
    token = request_id_var.set("request-42")
    try:
        event = new_event(catalogue.TICKET_CREATED, ticket())
    finally:
        request_id_var.reset(token)
    assert event.correlation_id == "request-42"


def test_new_event_refuses_data_off_the_contract() -> None:
    with pytest.raises(ValueError, match="priceCents"):
        new_event(catalogue.TICKET_CREATED, ticket(priceCents="20.00"))


def test_new_event_refuses_an_unknown_type() -> None:
    with pytest.raises(ValueError, match="unknown event type"):
        new_event("tickets.exploded", ticket())


def _wire(**changes: object) -> bytes:
    body: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "type": "tickets.created",
        "occurredAt": "2026-11-24T20:00:00.000Z",
        "correlationId": None,
        "data": ticket(),
    }
    body.update(changes)
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[1, 2]",
        b"\xff\xfe",
        json.dumps({"id": str(uuid.uuid4()), "type": "tickets.created"}).encode(),
        _wire(type="tickets.exploded"),
        _wire(id="nope"),
        _wire(occurredAt="2026-11-24T20:00:00"),
        _wire(correlationId=7),
        _wire(data=[]),
        _wire(data=ticket(sold="no")),
    ],
    ids=[
        "garbage",
        "array",
        "binary",
        "missing-keys",
        "unknown-type",
        "bad-id",
        "naive-time",
        "bad-correlation",
        "data-not-object",
        "bad-data",
    ],
)
def test_from_json_refuses_anything_off_contract(raw: bytes) -> None:
    with pytest.raises(ValueError):
        Envelope.from_json(raw)


def test_from_json_tolerates_fields_it_does_not_know_yet() -> None:
    event = Envelope.from_json(_wire(data=ticket(colour="red")))
    assert event.data["colour"] == "red"
