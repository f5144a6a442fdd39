"""Discarding a dead letter: the command line and the console share discard_dead_letter."""

from __future__ import annotations

import json
import uuid

from common.outbox.dead_letters import DeadLetter, record_dead_letter
from tests.integration.workers import backbone as schema
from tests.integration.workers.support import Backbone, deadletters_cli


def test_the_cli_discards_a_dead_letter_once(backbone: Backbone) -> None:
    event_id = uuid.uuid4()
    record_dead_letter(
        backbone.db,
        schema.TABLES,
        DeadLetter(event_id, "tickets.created", "s.t", '{"id": "x"}', "bad", 3),
    )
    [letter] = backbone.rows(schema.TABLES.dead_letters)
    done = deadletters_cli(backbone, "discard", schema.SERVICE, str(letter.id))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "discarded": letter.id,
        "eventId": str(event_id),
        "type": "tickets.created",
        "subject": "s.t",
    }
    assert backbone.count(schema.TABLES.dead_letters) == 0
    again = deadletters_cli(backbone, "discard", schema.SERVICE, str(letter.id))
    assert again.returncode == 1 and f"no dead letter {letter.id}" in again.stderr
    assert deadletters_cli(backbone, "discard", schema.SERVICE, "x").returncode == 2
