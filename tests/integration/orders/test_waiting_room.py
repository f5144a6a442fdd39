"""The waiting room: first in, first admitted; one place per account; leaving loses it.

The line's Lua runs against the test Redis and against the Redis `make up` embeds (6.2).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest
import redis
from flask import Flask
from prometheus_client import CollectorRegistry

from api.orders.config import WaitingRoomSettings
from api.orders.waiting_room import WaitingRoom

Auth = Callable[[uuid.UUID], dict[str, str]]


@pytest.fixture
def make_room(every_redis_url: str) -> Callable[..., WaitingRoom]:
    def make(rate: float, burst: int = 1, keep_seconds: int = 30) -> WaitingRoom:
        settings = WaitingRoomSettings(
            admission_rate=rate, burst=burst, pass_seconds=60, keep_seconds=keep_seconds
        )
        return WaitingRoom(redis.Redis.from_url(every_redis_url), settings, CollectorRegistry())

    return make


def test_the_first_in_line_is_the_first_admitted(make_room: Callable[..., WaitingRoom]) -> None:
    room = make_room(rate=8)
    assert room.enter(uuid.uuid4()).admitted  # the one token: nobody waits yet
    arrivals = [uuid.uuid4() for _ in range(5)]
    places = [room.enter(buyer) for buyer in arrivals]
    assert [place.position for place in places] == [1, 2, 3, 4, 5]
    assert not any(place.admitted for place in places)

    admitted: list[uuid.UUID] = []
    deadline = time.monotonic() + 5
    while len(admitted) < len(arrivals) and time.monotonic() < deadline:
        # Everyone still waiting comes back (a page refresh), the last in line first.
        for buyer in reversed(arrivals):
            if buyer not in admitted and room.where(buyer).admitted:
                admitted.append(buyer)
        time.sleep(0.02)

    assert admitted == arrivals


def test_an_account_holds_one_place_and_keeps_it_when_it_comes_back(
    make_room: Callable[..., WaitingRoom],
) -> None:
    room = make_room(rate=0.01)
    room.enter(uuid.uuid4())
    first, second = uuid.uuid4(), uuid.uuid4()
    assert room.enter(first).position == 1
    assert room.enter(second).position == 2

    again = room.enter(first)

    assert (again.position, again.line_length) == (1, 2)
    assert room.where(second).position == 2
    assert room.figures().length == 2


def test_a_buyer_who_leaves_loses_the_place_to_the_next_one(
    make_room: Callable[..., WaitingRoom],
) -> None:
    room = make_room(rate=1, keep_seconds=1)
    room.enter(uuid.uuid4())
    left, stayed = uuid.uuid4(), uuid.uuid4()
    assert room.enter(left).position == 1
    assert room.enter(stayed).position == 2

    time.sleep(1.3)  # `left` does not come back within keep_seconds; a token refills

    assert room.where(stayed).admitted
    assert not room.where(left).in_line
    back = room.enter(left)
    assert back.in_line and back.position == 1  # the end of the (now empty) line


def test_a_newcomer_goes_straight_through_while_nobody_waits_and_tokens_last(
    make_room: Callable[..., WaitingRoom],
) -> None:
    room = make_room(rate=0.01, burst=3)

    places = [room.enter(uuid.uuid4()) for _ in range(4)]

    assert [place.admitted for place in places] == [True, True, True, False]
    assert places[3].position == 1
    assert places[3].wait_seconds == 100  # one place at 0.01 a second
    assert places[3].retry_after == WaitingRoom.MAX_RETRY_AFTER


@pytest.fixture
def crowded(make_app: Callable[..., Flask], every_redis_url: str) -> Flask:
    return make_app(
        REDIS_URL=every_redis_url,
        WAITING_ROOM_ENABLED="true",
        WAITING_ROOM_ADMISSION_RATE="0.1",
        WAITING_ROOM_BURST="1",
    )


def test_an_integrator_in_line_gets_503_with_retry_after_and_the_position(
    crowded: Flask, seed_ticket: Callable[..., uuid.UUID], auth: Auth
) -> None:
    client = crowded.test_client()
    ticket = str(seed_ticket())
    assert (
        client.post(
            "/api/orders", json={"ticketId": ticket}, headers=auth(uuid.uuid4())
        ).status_code
        == 201
    )
    waiting = auth(uuid.uuid4())

    queued = client.post("/api/orders", json={"ticketId": str(seed_ticket())}, headers=waiting)

    assert queued.status_code == 503
    assert queued.mimetype == "application/problem+json"
    assert queued.headers["Queue-Position"] == "1"
    assert queued.headers["Retry-After"] == "10"
    assert queued.json["position"] == 1
    assert queued.json["waitSeconds"] == 10
    assert queued.json["detail"].startswith("You are number 1 in line, about 10 seconds.")
    assert queued.json["errors"]
    mine = client.get("/api/orders/waiting-room/me", headers=waiting)
    assert mine.json == {"admitted": False, "position": 1, "waitSeconds": 10, "retryAfter": 10}
    line = client.get("/api/orders/waiting-room")
    assert line.json == {"enabled": True, "length": 1, "admissionRate": 0.1, "waitSeconds": 10}
    metrics = client.get("/metrics").get_data(as_text=True)
    assert "waiting_room_length 1.0" in metrics
    assert "waiting_room_admission_rate 0.1" in metrics


def test_the_line_moves_at_the_admission_rate_however_rarely_anyone_comes_back(
    make_room: Callable[..., WaitingRoom],
) -> None:
    room = make_room(rate=10)
    room.enter(uuid.uuid4())
    for _ in range(19):
        room.enter(uuid.uuid4())
    me = uuid.uuid4()
    place = room.enter(me)
    # 20 ahead (fewer when the machine was slow to seat them: the line moved meanwhile).
    assert not place.admitted and 1 < place.position <= 20

    time.sleep(2.1)  # nobody looks meanwhile: 21 admissions are due

    assert room.where(me).admitted


def test_a_retry_with_the_same_idempotency_key_meets_the_line_again(
    crowded: Flask, seed_ticket: Callable[..., uuid.UUID], auth: Auth
) -> None:
    client = crowded.test_client()
    first = auth(uuid.uuid4())
    client.post("/api/orders", json={"ticketId": str(seed_ticket())}, headers=first)
    waiting = {**auth(uuid.uuid4()), "Idempotency-Key": "reserve-7"}
    body = {"ticketId": str(seed_ticket())}

    answers = [client.post("/api/orders", json=body, headers=waiting) for _ in range(2)]

    for queued in answers:
        assert queued.status_code == 503
        assert queued.json["position"] == 1  # kept, not replayed from the first answer
        assert "Idempotent-Replayed" not in queued.headers


def test_operators_read_the_line_and_its_settings_and_buyers_cannot(
    crowded: Flask,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Auth,
    issue_token: Callable[..., str],
) -> None:
    client = crowded.test_client()
    for _ in range(3):  # the first goes through (burst 1); the next two wait in line
        client.post(
            "/api/orders", json={"ticketId": str(seed_ticket())}, headers=auth(uuid.uuid4())
        )
    operator = {"Authorization": f"Bearer {issue_token(uuid.uuid4(), roles=['operator'])}"}

    room = client.get("/api/orders/ops/waiting-room", headers=operator)

    assert room.status_code == 200
    assert room.json["enabled"] is True
    assert room.json["length"] >= 2
    assert room.json["admissionRate"] == 0.1
    assert room.json["burst"] == 1
    assert room.json["waitSeconds"] == room.json["length"] * 10
    assert room.json["passSeconds"] > 0 and room.json["keepSeconds"] > 0
    assert room.json["error"] is None
    assert client.get("/api/orders/ops/waiting-room", headers=auth(uuid.uuid4())).status_code == 403


def test_operators_are_told_when_the_line_cannot_be_read(
    make_app: Callable[..., Flask], issue_token: Callable[..., str]
) -> None:
    app = make_app(REDIS_URL="redis://127.0.0.1:9/0", WAITING_ROOM_ENABLED="true")
    operator = {"Authorization": f"Bearer {issue_token(uuid.uuid4(), roles=['operator'])}"}

    room = app.test_client().get("/api/orders/ops/waiting-room", headers=operator)

    assert room.status_code == 200
    assert room.json["length"] == 0
    assert room.json["error"].startswith("Redis unreachable")
