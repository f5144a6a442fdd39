"""The relay: publishes outbox rows in order with Nats-Msg-Id, marks them, loses nothing."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import replace

import sqlalchemy as sa

from common.outbox import record
from tests.integration.workers import backbone as schema
from tests.integration.workers.support import (
    Backbone,
    run_housekeeping,
    running_consumer,
    running_relay,
    stream_messages,
    wait_until,
)
from workers.relay import Noticed, parse_notice


def _save(backbone: Backbone, ticket_id: uuid.UUID, version: int, title: str = "t") -> uuid.UUID:
    with backbone.db.transaction() as session:
        return schema.save_ticket(session, ticket_id, version, title).id


def _pending(backbone: Backbone) -> int:
    return backbone.count(schema.TABLES.outbox, schema.TABLES.outbox.c.published_at.is_(None))


def _relay_locks(backbone: Backbone) -> int:
    """Advisory locks granted in the backbone's database: the active relay's, if any."""
    with backbone.db.transaction() as session:
        return int(
            session.execute(
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database())"
                )
            ).scalar_one()
        )


def _relay_process(backbone: Backbone, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "workers.relay", schema.SERVICE],
        env=backbone.env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_relay_publishes_each_row_with_its_event_id_and_marks_it(backbone: Backbone) -> None:
    ticket_id = uuid.uuid4()
    ids = [_save(backbone, ticket_id, version) for version in (1, 2, 3)]
    with running_relay(backbone):
        wait_until(lambda: _pending(backbone) == 0)
    messages = stream_messages(backbone.events)
    assert [msg_id for msg_id, _ in messages] == [str(event_id) for event_id in ids]
    assert [json.loads(data)["data"]["version"] for _, data in messages] == [1, 2, 3]
    rows = backbone.rows(schema.TABLES.outbox)
    assert all(row.published_at is not None for row in rows)


def test_relay_wakes_on_commit_well_before_its_polling_interval(backbone: Backbone) -> None:
    with running_relay(backbone, poll_seconds=5.0):
        latencies = []
        for version in range(1, 6):
            started = time.monotonic()
            _save(backbone, uuid.uuid4(), 1, f"n{version}")
            wait_until(lambda: _pending(backbone) == 0, timeout=10, step=0.002)
            latencies.append(time.monotonic() - started)
    assert max(latencies) < 0.5, latencies


def test_relay_falls_back_to_polling_without_notifications(backbone: Backbone) -> None:
    with running_relay(backbone, poll_seconds=0.2):
        with backbone.db.transaction() as session:
            session.execute(
                sa.insert(schema.TABLES.outbox).values(
                    event_id=uuid.uuid4(),
                    event_type="tickets.created",
                    aggregate_id=uuid.uuid4(),
                    payload=schema.ticket_event(uuid.uuid4(), 1, "silent").to_json().decode(),
                )
            )
        wait_until(lambda: _pending(backbone) == 0, timeout=3)


def test_relay_killed_between_publish_and_mark_loses_nothing_and_duplicates_nothing(
    backbone: Backbone,
) -> None:
    ids = [_save(backbone, uuid.uuid4(), 1, f"ticket {n}") for n in range(20)]
    with running_consumer(backbone):
        crashing = _relay_process(backbone, OUTBOX_TEST_PAUSE_BEFORE_MARK_MS="60000")
        try:
            wait_until(lambda: len(stream_messages(backbone.events)) == 20, timeout=20, step=0.1)
            assert _pending(backbone) == 20
        finally:
            crashing.send_signal(signal.SIGKILL)
            crashing.wait(10)
        restarted = _relay_process(backbone)
        try:
            wait_until(lambda: _pending(backbone) == 0, timeout=20, step=0.05)
        finally:
            restarted.send_signal(signal.SIGTERM)
            assert restarted.wait(10) == 0
        wait_until(lambda: backbone.count(schema.replica) == 20)
    # Republished after the crash, yet stored once (JetStream dedup) and applied once.
    assert [msg_id for msg_id, _ in stream_messages(backbone.events)] == [str(i) for i in ids]
    assert backbone.applications() == 20


def test_sigterm_lets_the_relay_finish_its_batch_before_exiting(backbone: Backbone) -> None:
    for n in range(5):
        _save(backbone, uuid.uuid4(), 1, f"ticket {n}")
    relay = _relay_process(backbone, OUTBOX_TEST_PAUSE_BEFORE_MARK_MS="1500")
    try:
        wait_until(lambda: len(stream_messages(backbone.events)) == 5, timeout=20, step=0.05)
        relay.send_signal(signal.SIGTERM)
        assert relay.wait(15) == 0
    finally:
        relay.kill()
    assert _pending(backbone) == 0


def test_two_relays_keep_the_order_of_each_aggregate(backbone: Backbone) -> None:
    tickets = [uuid.uuid4() for _ in range(5)]
    with running_relay(backbone, batch_size=3), running_relay(backbone, batch_size=3):
        for version in range(1, 11):
            for ticket_id in tickets:
                _save(backbone, ticket_id, version)
        wait_until(lambda: _pending(backbone) == 0, timeout=20)
    seen: dict[str, list[int]] = {}
    for _, data in stream_messages(backbone.events):
        body = json.loads(data)["data"]
        seen.setdefault(body["id"], []).append(body["version"])
    assert seen == {str(ticket_id): list(range(1, 11)) for ticket_id in tickets}


def test_a_standby_relay_publishes_nothing_until_the_active_one_dies(
    backbone: Backbone,
) -> None:
    active = _relay_process(backbone)
    standby: subprocess.Popen[bytes] | None = None
    try:
        _save(backbone, uuid.uuid4(), 1, "first")
        wait_until(lambda: _pending(backbone) == 0, timeout=20)
        standby = _relay_process(backbone, OUTBOX_POLL_MILLISECONDS="200", LOG_LEVEL="INFO")
        for n in range(5):
            _save(backbone, uuid.uuid4(), 1, f"while both run {n}")
        wait_until(lambda: _pending(backbone) == 0, timeout=20)
        assert _relay_locks(backbone) == 1
        active.kill()  # its session ends, and with it the advisory lock
        active.wait(10)
        for n in range(5):
            _save(backbone, uuid.uuid4(), 1, f"after the takeover {n}")
        wait_until(lambda: _pending(backbone) == 0, timeout=20)
        assert len(stream_messages(backbone.events)) == 11
        assert _relay_locks(backbone) == 1
        standby.send_signal(signal.SIGTERM)
        assert standby.wait(15) == 0
        output = standby.stdout.read().decode() if standby.stdout else ""
        assert output.count("active relay of this database") == 1
    finally:
        active.kill()
        if standby is not None:
            standby.kill()


def test_housekeeping_forgets_only_what_no_event_can_bring_back(backbone: Backbone) -> None:
    outbox, processed = schema.TABLES.outbox, schema.TABLES.processed
    old_sent, new_sent, old_unsent = (_save(backbone, uuid.uuid4(), 1) for _ in range(3))
    with backbone.db.transaction() as session:
        for event_id, age in ((old_sent, "100 hours"), (new_sent, "1 hour")):
            session.execute(
                outbox.update()
                .where(outbox.c.event_id == event_id)
                .values(published_at=sa.text(f"now() - interval '{age}'"))
            )
        for days in (9, 7, 0):
            session.execute(
                processed.insert().values(
                    event_id=uuid.UUID(int=days),
                    event_type="tickets.created",
                    processed_at=sa.text(f"now() - interval '{days} days'"),
                )
            )
    # Outbox rows: 72 h after publication; processed ids: the stream's 7 days and a day more.
    run_housekeeping(backbone.relay_settings(retention_hours=72))
    assert {row.event_id for row in backbone.rows(outbox)} == {new_sent, old_unsent}
    kept = {row.event_id for row in backbone.rows(processed)}
    assert kept == {uuid.UUID(int=7), uuid.UUID(int=0)}


def test_a_caught_up_relay_publishes_the_row_its_notice_carries_without_reading_the_table(
    backbone: Backbone,
) -> None:
    with running_relay(backbone, poll_seconds=30.0):
        first = _save(backbone, uuid.uuid4(), 1, "read from the table at start")
        wait_until(lambda: _pending(backbone) == 0)
        # Marked in its own transaction, so a read of pending rows can never return it:
        # only the notice its commit sends can bring it to the stream.
        with backbone.db.transaction() as session:
            noticed = schema.save_ticket(session, uuid.uuid4(), 1, "only noticed").id
            outbox = schema.TABLES.outbox
            session.execute(
                outbox.update()
                .where(outbox.c.event_id == noticed)
                .values(published_at=sa.func.now())
            )
        wait_until(lambda: len(stream_messages(backbone.events)) == 2)
    assert [msg_id for msg_id, _ in stream_messages(backbone.events)] == [str(first), str(noticed)]


def test_an_event_too_large_for_a_notice_is_read_from_the_table_in_its_turn(
    backbone: Backbone,
) -> None:
    ticket_id = uuid.uuid4()
    big = "x" * 9000  # a NOTIFY payload must stay under 8000 bytes
    with running_relay(backbone, poll_seconds=30.0):
        ids = [_save(backbone, ticket_id, 1, "small")]
        with backbone.db.transaction() as session:
            event = schema.ticket_event(ticket_id, 2, "large")
            event = replace(event, data={**event.data, "title": big})
            record(session, schema.TABLES, event, ticket_id)
        ids += [event.id, _save(backbone, ticket_id, 3, "small again")]
        wait_until(lambda: _pending(backbone) == 0, timeout=10)
    messages = stream_messages(backbone.events)
    assert [msg_id for msg_id, _ in messages] == [str(event_id) for event_id in ids]
    assert json.loads(messages[1][1])["data"]["title"] == big


def test_notices_name_the_row_or_ask_for_a_read_of_the_table() -> None:
    event_id = uuid.uuid4()
    payload = '{"id": "a b c", "data": {"title": "spaces inside"}}'
    assert parse_notice(f"42 {event_id} tickets.created {payload}") == Noticed(
        42, str(event_id), "tickets.created", payload
    )
    for bare in ("", "42", f"x {event_id} tickets.created {payload}", f"42 {event_id}"):
        assert parse_notice(bare) is None
