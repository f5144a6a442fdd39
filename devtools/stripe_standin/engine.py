"""What every endpoint shares: the ledger, the clock, events and `expand`."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from devtools.stripe_standin import errors, objects
from devtools.stripe_standin.errors import JsonObject
from devtools.stripe_standin.state import Ledger

# stripe-python 16.1 pins this version; events carry it like an account default would.
DEFAULT_API_VERSION = "2026-10-28.endive"

EXPANDABLE: dict[str, dict[str, str]] = {
    "payment_intents": {"latest_charge": "charges", "payment_method": "payment_methods"},
    "refunds": {"charge": "charges", "payment_intent": "payment_intents"},
}


@dataclass(frozen=True)
class RequestContext:
    """The API request an operation serves, as events record it."""

    request_id: str
    idempotency_key: str | None


class EventSink(Protocol):
    """Where new events go (the webhook dispatcher)."""

    def publish(self, event: JsonObject) -> None:
        """Accept one event for delivery; must not block."""


class Engine:
    """The ledger plus the services every operation uses."""

    def __init__(
        self,
        ledger: Ledger,
        sink: EventSink,
        *,
        api_version: str = DEFAULT_API_VERSION,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ledger = ledger
        self._sink = sink
        self._api_version = api_version
        self._clock = clock

    def now(self) -> int:
        """Unix seconds, as Stripe's `created` fields hold them."""
        return int(self._clock())

    def year(self) -> int:
        """The current calendar year (for test card expiry dates)."""
        return time.gmtime(self._clock()).tm_year

    def publish(
        self,
        event_type: str,
        obj: JsonObject,
        context: RequestContext,
        previous_attributes: JsonObject | None = None,
    ) -> None:
        """Record an event with a snapshot of `obj` and hand it to the webhook sink."""
        event = objects.event(
            event_type,
            copy.deepcopy(obj),
            created=self.now(),
            api_version=self._api_version,
            request_id=context.request_id,
            idempotency_key=context.idempotency_key,
            previous_attributes=previous_attributes,
        )
        self.ledger.add("events", event)
        self._sink.publish(event)

    @staticmethod
    def check_expand(kind: str, expand: list[str]) -> None:
        """Refuse `expand[]` entries this stand-in cannot expand, as Stripe words it."""
        for path in expand:
            if path not in EXPANDABLE.get(kind, {}):
                raise errors.invalid_request(
                    f"This property cannot be expanded ({path}).", param="expand"
                )

    def render(self, kind: str, obj: JsonObject, expand: list[str]) -> JsonObject:
        """A response copy of `obj` with the requested ids replaced by their objects."""
        body = copy.deepcopy(obj)
        for path in expand:
            target = body.get(path)
            if isinstance(target, str):
                found = self.ledger.get(EXPANDABLE[kind][path], target)
                body[path] = copy.deepcopy(found) if found is not None else target
        return body


def format_amount(amount: int, currency: str) -> str:
    """Money the way Stripe's messages print it: `$20.00` for USD, `20.00 eur` otherwise."""
    major = f"{amount / 100:,.2f}"
    return f"${major}" if currency == "usd" else f"{major} {currency}"
