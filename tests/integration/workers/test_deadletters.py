"""Poison messages: bounded deliveries, a dead-letter record, and a replay by an operator."""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa

from tests.integration.workers import backbone as schema
from tests.integration.workers.support import (
    Backbone,
    deadletters_cli,
    publish_raw,
    running_consumer,
    wait_until,
)
from workers.consumers import was_processed


def _poison(backbone: Backbone, title: str) -> None:
    with backbone.db.transaction() as session:
        session.execute(schema.faults.insert().values(title=title))


def test_poison_message_is_dead_lettered_after_max_deliver_then_replayed(
    backbone: Backbone,
) -> None:
    _poison(backbone, "Poison")
    event = schema.ticket_event(uuid.uuid4(), 1, "Poison")
    subject = backbone.events.subject(event.type)
    with running_consumer(backbone):
        publish_raw(backbone.events, subject, event.to_json(), str(event.id))
        wait_until(lambda: backbone.count(schema.TABLES.dead_letters) == 1)
        [letter] = backbone.rows(schema.TABLES.dead_letters)
        assert (letter.event_id, letter.event_type, letter.subject) == (
            event.id,
            event.type,
            subject,
        )
        assert letter.attempts == backbone.events.max_deliver
        assert "poisoned title" in letter.error
        assert json.loads(letter.payload) == json.loads(event.to_json())
        assert not was_processed(backbone.db, schema.TABLES, event)

        listed = deadletters_cli(backbone, "list", schema.SERVICE)
        assert listed.returncode == 0, listed.stderr
        [shown] = [json.loads(line) for line in listed.stdout.splitlines()]
        assert shown["eventId"] == str(event.id) and shown["replayedAt"] is None

        with backbone.db.transaction() as session:
            session.execute(sa.delete(schema.faults))
        replayed = deadletters_cli(backbone, "replay", schema.SERVICE, str(letter.id))
        assert replayed.returncode == 0, replayed.stderr
        assert json.loads(replayed.stdout)["msgId"] == f"{event.id}-replay-1"
        wait_until(lambda: backbone.count(schema.replica) == 1)
    assert was_processed(backbone.db, schema.TABLES, event)
    [letter] = backbone.rows(schema.TABLES.dead_letters)
    assert letter.replayed_at is not None and letter.replay_count == 1


def test_a_replay_that_fails_again_opens_a_new_dead_letter(backbone: Backbone) -> None:
    _poison(backbone, "Poison again")
    event = schema.ticket_event(uuid.uuid4(), 1, "Poison again")
    with running_consumer(backbone):
        publish_raw(
            backbone.events, backbone.events.subject(event.type), event.to_json(), str(event.id)
        )
        wait_until(lambda: backbone.count(schema.TABLES.dead_letters) == 1)
        [letter] = backbone.rows(schema.TABLES.dead_letters)
        assert deadletters_cli(backbone, "replay", schema.SERVICE, str(letter.id)).returncode == 0
        wait_until(lambda: backbone.count(schema.TABLES.dead_letters) == 2)
    open_letters = backbone.rows(
        schema.TABLES.dead_letters, schema.TABLES.dead_letters.c.replayed_at.is_(None)
    )
    assert len(open_letters) == 1


def test_a_malformed_message_is_dead_lettered_at_once(backbone: Backbone) -> None:
    subject = backbone.events.subject("tickets.created")
    with running_consumer(backbone):
        publish_raw(backbone.events, subject, b"{not json", "garbage-1")
        wait_until(lambda: backbone.count(schema.TABLES.dead_letters) == 1)
    [letter] = backbone.rows(schema.TABLES.dead_letters)
    assert letter.event_id is None and letter.attempts == 1
    assert letter.payload == "{not json" and "malformed" in letter.error


def test_the_cli_refuses_bad_usage_and_unknown_letters(backbone: Backbone) -> None:
    assert deadletters_cli(backbone, "list").returncode == 2
    assert deadletters_cli(backbone, "replay", schema.SERVICE, "abc").returncode == 2
    missing = deadletters_cli(backbone, "replay", schema.SERVICE, "999")
    assert missing.returncode == 1 and "no dead letter 999" in missing.stderr
