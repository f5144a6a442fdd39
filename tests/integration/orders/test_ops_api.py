"""The orders service's operator API: every saga run, stuck runs, dead letters; operators only."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import uuid
from collections.abc import Callable

import nats
import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.orders.models import OUTBOX
from common.clock import FrozenClock
from common.db import Database
from common.events.streams import EventSettings, ensure_stream
from common.outbox.dead_letters import DeadLetter, list_dead_letters, record_dead_letter
from tests.integration.orders.conftest import order_ticket

ANY_ID = "00000000-0000-4000-8000-000000000000"
ROUTES = [
    ("get", "/api/orders/ops/summary"),
    ("get", "/api/orders/ops/runs"),
    ("get", "/api/orders/ops/runs?stuck=true"),
    ("get", f"/api/orders/ops/runs/{ANY_ID}"),
    ("get", "/api/orders/ops/dead-letters"),
    ("post", "/api/orders/ops/dead-letters/1/replay"),
    ("post", "/api/orders/ops/dead-letters/1/discard"),
    ("get", "/api/orders/ops/backlog"),
    ("get", "/api/orders/ops/waiting-room"),
]


@pytest.fixture
def operator(issue_token: Callable[..., str]) -> dict[str, str]:
    token = issue_token(uuid.uuid4(), "ops@example.com", roles=["operator"])
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_anonymous_callers_get_401_and_normal_users_403_on_every_operator_route(
    client: FlaskClient, auth: Callable[[uuid.UUID], dict[str, str]], method: str, path: str
) -> None:
    assert getattr(client, method)(path).status_code == 401
    response = getattr(client, method)(path, headers=auth(uuid.uuid4()))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "operator" in response.json["detail"]


def test_a_roles_claim_without_operator_is_refused(
    client: FlaskClient, issue_token: Callable[..., str]
) -> None:
    token = issue_token(uuid.uuid4(), roles=["seller", "Operator"])
    response = client.get("/api/orders/ops/runs", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


def test_an_operator_sees_everyones_runs_by_status_and_each_steps_timings(
    client: FlaskClient,
    auth: Callable[[uuid.UUID], dict[str, str]],
    seed_ticket: Callable[..., uuid.UUID],
    clock: FrozenClock,
    operator: dict[str, str],
) -> None:
    buyers = [uuid.uuid4(), uuid.uuid4()]
    first = order_ticket(client, auth(buyers[0]), seed_ticket())
    order_ticket(client, auth(buyers[1]), seed_ticket())
    clock.advance(7)
    assert (
        client.post(f"/api/orders/{first['id']}/cancel", headers=auth(buyers[0])).status_code == 200
    )

    summary = client.get("/api/orders/ops/summary", headers=operator).json
    assert summary["runsByStatus"] == {
        "created": 1,
        "awaiting_payment": 0,
        "complete": 0,
        "cancelled": 1,
    }
    steps = {s["step"]: s for s in summary["steps"]}
    assert steps["reserve"]["count"] == 2 and steps["reserve"]["p50Seconds"] is None
    assert steps["cancel"]["count"] == 1 and steps["cancel"]["p99Seconds"] == pytest.approx(7)
    assert steps["cancel"]["failures"] == 0

    runs = client.get("/api/orders/ops/runs", headers=operator).json["items"]
    assert {run["userId"] for run in runs} == {str(b) for b in buyers}
    cancelled = client.get("/api/orders/ops/runs?status=cancelled", headers=operator).json
    assert [run["id"] for run in cancelled["items"]] == [first["id"]]


def test_one_run_shows_every_step_with_its_timing_and_the_events_it_wrote(
    client: FlaskClient,
    auth: Callable[[uuid.UUID], dict[str, str]],
    seed_ticket: Callable[..., uuid.UUID],
    clock: FrozenClock,
    operator: dict[str, str],
) -> None:
    buyer = uuid.uuid4()
    order = order_ticket(client, auth(buyer), seed_ticket())
    clock.advance(3)
    client.post(f"/api/orders/{order['id']}/cancel", headers=auth(buyer))
    run = client.get(f"/api/orders/ops/runs/{order['id']}", headers=operator).json
    assert run["userId"] == str(buyer) and run["status"] == "cancelled"
    assert [(e["step"], e["outcome"]) for e in run["timeline"]] == [
        ("reserve", "ok"),
        ("await_payment", "ok"),
        ("cancel", "ok"),
        ("unlock", "compensated"),
    ]
    assert run["timeline"][2]["seconds"] == pytest.approx(3)
    assert [e["type"] for e in run["events"]] == ["orders.created", "orders.cancelled"]
    assert run["stuckReason"] is None


def test_a_run_unpaid_past_its_expiry_is_listed_as_stuck_with_the_reason(
    client: FlaskClient,
    auth: Callable[[uuid.UUID], dict[str, str]],
    seed_ticket: Callable[..., uuid.UUID],
    clock: FrozenClock,
    operator: dict[str, str],
) -> None:
    order = order_ticket(client, auth(uuid.uuid4()), seed_ticket())
    clock.advance(900 + 10)
    assert client.get("/api/orders/ops/runs?stuck=true", headers=operator).json["items"] == []
    clock.advance(60)
    stuck = client.get("/api/orders/ops/runs?stuck=true", headers=operator).json["items"]
    assert [run["id"] for run in stuck] == [order["id"]]
    assert "past its expiry (70 s ago)" in stuck[0]["stuckReason"]
    assert client.get("/api/orders/ops/summary", headers=operator).json["stuck"] == 1


@pytest.mark.parametrize(
    "path",
    [
        "/api/orders/ops/summary?hours=0",
        "/api/orders/ops/runs?status=lost",
        "/api/orders/ops/runs?limit=100000",
        "/api/orders/ops/runs?stuck=maybe",
    ],
)
def test_bad_filters_are_422_problems(
    client: FlaskClient, operator: dict[str, str], path: str
) -> None:
    response = client.get(path, headers=operator)
    assert response.status_code == 422
    assert response.json["errors"][0]["field"]


def test_an_unknown_run_or_dead_letter_is_404(
    client: FlaskClient, operator: dict[str, str]
) -> None:
    assert client.get(f"/api/orders/ops/runs/{ANY_ID}", headers=operator).status_code == 404
    assert client.get("/api/orders/ops/runs/not-a-uuid", headers=operator).status_code == 404
    assert (
        client.post("/api/orders/ops/dead-letters/99/discard", headers=operator).status_code == 404
    )


def poison(db: Database, subject: str) -> int:
    event = {"id": str(uuid.uuid4()), "type": "tickets.updated", "data": {"id": "x"}}
    record_dead_letter(
        db,
        OUTBOX,
        DeadLetter(
            uuid.UUID(event["id"]), "tickets.updated", subject, json.dumps(event), "boom", 3
        ),
    )
    return int(list_dead_letters(db, OUTBOX)[0]["id"])  # type: ignore[call-overload]


def test_an_operator_discards_a_dead_letter_with_the_clis_own_code(
    client: FlaskClient, db: Database, operator: dict[str, str]
) -> None:
    letter = poison(db, "ticketing.tickets.updated")
    listed = client.get("/api/orders/ops/dead-letters", headers=operator).json
    assert [item["id"] for item in listed["items"]] == [letter]
    response = client.post(f"/api/orders/ops/dead-letters/{letter}/discard", headers=operator)
    assert response.status_code == 200 and response.json["discarded"] == letter
    assert list_dead_letters(db, OUTBOX) == []


def test_an_operator_replays_a_dead_letter_onto_its_subject(
    app: Flask, client: FlaskClient, db: Database, operator: dict[str, str]
) -> None:
    tag = uuid.uuid4().hex[:10]
    events = EventSettings(stream=f"OPS_TEST_{tag}", subject_prefix=f"ops{tag}")
    app.extensions["ops"] = dataclasses.replace(app.extensions["ops"], events=events)
    letter = poison(db, events.subject("tickets.updated"))

    async def stream_messages(delete: bool) -> int:
        nc = await nats.connect(app.extensions["ops"].nats_url)
        try:
            js = nc.jetstream()
            await ensure_stream(js, events)
            count = int((await js.stream_info(events.stream)).state.messages)
            if delete:
                await js.delete_stream(events.stream)
            return count
        finally:
            await nc.close()

    try:
        response = client.post(f"/api/orders/ops/dead-letters/{letter}/replay", headers=operator)
        assert response.status_code == 200, response.json
        assert re.fullmatch(r".+-replay-1", response.json["msgId"])
        assert list_dead_letters(db, OUTBOX)[0]["replayCount"] == 1
    finally:
        assert asyncio.run(stream_messages(delete=True)) == 1


def test_the_backlog_counts_unpublished_events_and_reads_the_expiry_queue(
    client: FlaskClient,
    auth: Callable[[uuid.UUID], dict[str, str]],
    seed_ticket: Callable[..., uuid.UUID],
    operator: dict[str, str],
) -> None:
    order_ticket(client, auth(uuid.uuid4()), seed_ticket())
    backlog = client.get("/api/orders/ops/backlog", headers=operator).json
    assert backlog["outboxUnpublished"] == 1
    assert backlog["outboxOldestAgeSeconds"] >= 0
    assert backlog["consumersError"] is None
    assert all(c["durable"].startswith(("orders-", "expiration-")) for c in backlog["consumers"])
    assert backlog["queues"] == [
        {"queue": "expiration", "ready": 0, "inProgress": 0, "delayed": 0, "dead": 0}
    ]


def test_saga_steps_are_counted_in_metrics_once_committed(
    client: FlaskClient,
    auth: Callable[[uuid.UUID], dict[str, str]],
    seed_ticket: Callable[..., uuid.UUID],
) -> None:
    def reserved() -> float:
        text = client.get("/metrics").text
        found = re.search(r'ticketing_saga_steps_total\{outcome="ok",step="reserve"\} (\S+)', text)
        return float(found.group(1)) if found else 0.0

    before = reserved()
    ticket = seed_ticket()
    order_ticket(client, auth(uuid.uuid4()), ticket)
    response = client.post(
        "/api/orders", json={"ticketId": str(ticket)}, headers=auth(uuid.uuid4())
    )
    assert response.status_code == 409  # refused: its transaction rolled back, nothing counted
    assert reserved() == before + 1
