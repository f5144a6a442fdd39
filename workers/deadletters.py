"""The dead letters' command line (the functions live in common.outbox.dead_letters).

python -m workers.deadletters list <service>
python -m workers.deadletters replay <service> ID
python -m workers.deadletters discard <service> ID
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Mapping, Sequence

from common.config import DEFAULT_DATABASE_URL, Env, normalise_database_url
from common.db import Database, service_metadata
from common.events.streams import EventSettings
from common.outbox import OutboxTables, add_outbox_tables
from common.outbox.dead_letters import discard_dead_letter, list_dead_letters, replay_dead_letter


def _tables() -> OutboxTables:
    return add_outbox_tables(service_metadata())


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Entry point: list or replay a service's dead letters (DATABASE_URL, NATS_URL, EVENTS_*)."""
    args = list(sys.argv[1:] if argv is None else argv)
    usage = (
        "usage: python -m workers.deadletters list <service> | replay <service> ID"
        " | discard <service> ID"
    )
    if not args or (args[0], len(args)) not in {("list", 2), ("replay", 3), ("discard", 3)}:
        print(usage, file=sys.stderr)
        return 2
    env = Env(environ)
    db = Database.from_url(normalise_database_url(env.str("DATABASE_URL", DEFAULT_DATABASE_URL)))
    tables = _tables()
    try:
        if args[0] == "list":
            for letter in list_dead_letters(db, tables):
                print(json.dumps(letter))
            return 0
        try:
            letter_id = int(args[2])
        except ValueError:
            print(usage, file=sys.stderr)
            return 2
        if args[0] == "discard":
            try:
                print(json.dumps(discard_dead_letter(db, tables, letter_id)))
            except LookupError as exc:
                print(str(exc), file=sys.stderr)
                return 1
            return 0
        nats_url = env.str("NATS_URL", "nats://127.0.0.1:4222")
        events = EventSettings.from_env(environ)
        try:
            msg_id = asyncio.run(replay_dead_letter(db, tables, nats_url, events, letter_id))
        except LookupError as exc:
            print(str(exc), file=sys.stderr)
            return 1
        print(json.dumps({"replayed": letter_id, "msgId": msg_id}))
        return 0
    finally:
        db.dispose()


if __name__ == "__main__":
    sys.exit(main())
