"""What a reservation passes before it reaches the database: the rate limits, then the line."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, request

from api.orders.fair_share import ReservationLimits
from api.orders.waiting_room import Place, WaitingRoom
from common.auth.current_user import require_user
from common.errors import FieldError, ServiceUnavailable
from common.http.problems import PROBLEM_JSON, problem

QUEUE_POSITION_HEADER = "Queue-Position"
F = TypeVar("F", bound=Callable[..., Any])


class InLine(ServiceUnavailable):
    """More buyers arrived than the platform admits per second: this one has a place in line."""

    title = "Service Unavailable"

    def __init__(self, place: Place) -> None:
        self.place = place
        unit = "second" if place.wait_seconds == 1 else "seconds"
        detail = (
            f"You are number {place.position} in line, about {place.wait_seconds} {unit}. "
            "Try again after Retry-After seconds to keep your place."
        )
        super().__init__(
            detail,
            [FieldError(detail)],
            headers={
                "Retry-After": str(place.retry_after),
                QUEUE_POSITION_HEADER: str(place.position),
            },
        )


def in_line_problem(error: InLine) -> Response:
    """503 problem+json with the place in line as extension members."""
    response = problem(error.status, error.detail, error.errors, error.headers, error.title)
    body = json.loads(response.get_data())
    body.update(position=error.place.position, waitSeconds=error.place.wait_seconds)
    response.set_data(json.dumps(body))
    response.mimetype = PROBLEM_JSON
    return response


class ReservationGate:
    """Counts the attempt against the buyer's and the address's limits, then asks the line."""

    def __init__(self, limits: ReservationLimits, room: WaitingRoom) -> None:
        self.limits, self.room = limits, room

    def admit(self, buyer_id: uuid.UUID, address: str | None) -> None:
        """Return when the buyer may reserve now; raise 429 (limits) or 503 (in line)."""
        self.limits.check(buyer_id, address)
        place = self.room.enter(buyer_id)
        if not place.admitted:
            raise InLine(place)


def gated(view: F) -> F:
    """Run the view only for a buyer the gate lets through."""

    # Outside Idempotency-Key handling: a refused attempt did nothing, so a retry with the
    # same key meets the gate again, and its 503 keeps the place in line in its body.
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        gate: ReservationGate = current_app.extensions["reservation_gate"]
        gate.admit(require_user().id, request.remote_addr)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
