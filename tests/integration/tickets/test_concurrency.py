"""Optimistic concurrency: of two edits that read the same version, exactly one wins."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, text

from common.db import Database
from tests.integration.tickets.conftest import Seller, outbox_rows


def wait_for_blocked_updates(url: str, count: int, timeout: float = 10.0) -> None:
    """Wait until `count` sessions are waiting for a row lock on tickets."""
    engine = create_engine(url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                waiting = connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND query LIKE 'UPDATE tickets%' AND datname = current_database()"
                    )
                )
            if waiting == count:
                return
            time.sleep(0.02)
    finally:
        engine.dispose()
    raise AssertionError(f"{count} blocked updates never showed up")


def test_two_concurrent_edits_one_wins_the_other_is_told_to_retry(
    app: Flask,
    seller: Seller,
    create_ticket: Callable[..., dict[str, Any]],
    db: Database,
    tickets_env: dict[str, str],
) -> None:
    ticket = create_ticket("Original", 10)
    results: dict[str, Any] = {}

    def edit(title: str) -> None:
        response = app.test_client().put(
            f"/api/tickets/{ticket['id']}",
            json={"title": title, "price": 11},
            headers=seller.headers,
        )
        results[title] = (response.status_code, response.json)

    # Hold the row so both edits read version 1 and then queue on their UPDATE.
    with db.engine.connect() as holder:
        transaction = holder.begin()
        holder.execute(
            text("SELECT 1 FROM tickets WHERE id = :id FOR UPDATE"), {"id": uuid.UUID(ticket["id"])}
        )
        threads = [threading.Thread(target=edit, args=(title,)) for title in ("A", "B")]
        for thread in threads:
            thread.start()
        wait_for_blocked_updates(tickets_env["DATABASE_URL"], 2)
        transaction.rollback()
        for thread in threads:
            thread.join(10)

    statuses = sorted(status for status, _ in results.values())
    assert statuses == [200, 409]
    loser = next(body for status, body in results.values() if status == 409)
    assert "changed meanwhile" in loser["detail"]
    winner = next(body for status, body in results.values() if status == 200)
    assert winner["version"] == 2
    shown = app.test_client().get(f"/api/tickets/{ticket['id']}").json
    assert (shown["version"], shown["title"]) == (2, winner["title"])
    assert [row["data"]["version"] for row in outbox_rows(db, ticket["id"])] == [1, 2]


def test_an_edit_overtaken_by_an_order_lock_is_told_the_ticket_is_reserved(
    app: Flask,
    seller: Seller,
    create_ticket: Callable[..., dict[str, Any]],
    db: Database,
    tickets_env: dict[str, str],
) -> None:
    ticket = create_ticket("Original", 10)
    results: list[Any] = []

    def edit() -> None:
        response = app.test_client().put(
            f"/api/tickets/{ticket['id']}",
            json={"title": "Late", "price": 11},
            headers=seller.headers,
        )
        results.append((response.status_code, response.json))

    with db.engine.connect() as holder:
        transaction = holder.begin()
        holder.execute(
            text("SELECT 1 FROM tickets WHERE id = :id FOR UPDATE"), {"id": uuid.UUID(ticket["id"])}
        )
        thread = threading.Thread(target=edit)
        thread.start()
        wait_for_blocked_updates(tickets_env["DATABASE_URL"], 1)
        holder.execute(
            text("UPDATE tickets SET order_id = :order, version = version + 1 WHERE id = :id"),
            {"order": uuid.uuid4(), "id": uuid.UUID(ticket["id"])},
        )
        transaction.commit()
        thread.join(10)

    [(status, body)] = results
    assert status == 409
    assert "reserved by an order" in body["detail"]
