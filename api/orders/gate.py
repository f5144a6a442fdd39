"""What a reservation passes before it reaches the database: the rate limits, then the line."""

from __future__ import annotations

import json
import uuid

from flask import Response

from api.orders.fair_share import ReservationLimits
from api.orders.waiting_room import Place, WaitingRoom
from common.errors import FieldError, ServiceUnavailable
from common.http.problems import PROBLEM_JSON, problem

QUEUE_POSITION_HEADER = "Queue-Position"


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
