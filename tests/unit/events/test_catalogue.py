"""The catalogue is the contract: every type has a schema that accepts and refuses data."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from common.events import catalogue
from common.events.catalogue import EventContractError, validate_data
from tests.unit.events.examples import INVALID, ORDER, VALID, ticket


def test_every_event_type_has_a_valid_and_an_invalid_example() -> None:
    assert set(VALID) == set(INVALID) == catalogue.EVENT_TYPES


@pytest.mark.parametrize("event_type", sorted(VALID))
def test_schema_accepts_a_valid_example_unchanged(event_type: str) -> None:
    assert validate_data(event_type, VALID[event_type]) == VALID[event_type]


@pytest.mark.parametrize("event_type", sorted(INVALID))
def test_schema_refuses_a_bad_example(event_type: str) -> None:
    with pytest.raises(EventContractError) as caught:
        validate_data(event_type, INVALID[event_type])
    assert caught.value.messages


def test_unknown_event_type_is_refused() -> None:
    with pytest.raises(EventContractError, match="unknown event type"):
        validate_data("tickets.deleted", ticket())


def test_producers_may_not_send_unknown_fields_but_consumers_ignore_them() -> None:
    data = ticket(colour="red")
    with pytest.raises(EventContractError, match="colour"):
        validate_data(catalogue.TICKET_CREATED, data)
    assert "colour" not in validate_data(catalogue.TICKET_CREATED, data, strict=False)


def test_python_values_are_normalised_to_their_json_form() -> None:
    order_id = uuid.UUID(ORDER)
    expires = datetime(2026, 11, 24, 20, 15, 0, 123456, tzinfo=UTC)
    data = validate_data(
        catalogue.ORDER_CREATED,
        {**VALID[catalogue.ORDER_CREATED], "id": order_id, "expiresAt": expires},
    )
    assert data["id"] == ORDER
    assert data["expiresAt"] == "2026-11-24T20:15:00.123Z"


def test_nullable_fields_default_to_null() -> None:
    data = ticket()
    del data["orderId"]
    assert validate_data(catalogue.TICKET_CREATED, data)["orderId"] is None


@pytest.mark.parametrize("cents", [True, "2000", 0, -1, 100_000_001])
def test_money_is_a_positive_integer_of_cents(cents: object) -> None:
    with pytest.raises(EventContractError, match="priceCents"):
        validate_data(catalogue.TICKET_CREATED, ticket(priceCents=cents))


def test_currency_is_a_lowercase_iso_code() -> None:
    with pytest.raises(EventContractError, match="currency"):
        validate_data(catalogue.TICKET_CREATED, ticket(currency="USD"))


def test_naive_times_are_refused() -> None:
    with pytest.raises(EventContractError, match="expiresAt"):
        validate_data(
            catalogue.ORDER_UPDATED, {**VALID[catalogue.ORDER_UPDATED], "expiresAt": datetime.now()}
        )
