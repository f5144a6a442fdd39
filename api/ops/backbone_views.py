"""Operator endpoints every service with a backbone has: dead letters and backlogs.

Replay and discard run the functions `python -m workers.deadletters` runs
(common.outbox.dead_letters).
"""

from __future__ import annotations

import asyncio
from typing import Any

import redis
from flask.views import MethodView
from flask_smorest import Blueprint
from nats.errors import Error as NatsError

from api.ops.context import ops_context
from api.ops.documenting import operator_documented
from api.ops.schemas import BacklogSchema, DeadLettersSchema, DiscardedSchema, ReplayedSchema
from common.auth.operators import require_operator
from common.backlogs.consumers import read_consumer_lags
from common.backlogs.outbox import open_dead_letters, outbox_backlog
from common.backlogs.queues import queue_counts
from common.errors import NotFound, ServiceUnavailable
from common.outbox.dead_letters import discard_dead_letter, list_dead_letters, replay_dead_letter

NATS_DOWN = "NATS could not be reached; nothing was replayed."


def backbone_blueprint(service: str, prefix: str) -> Blueprint:
    """The service's /ops/dead-letters and /ops/backlog routes under `prefix`."""
    blp = Blueprint(
        f"{service}_ops_backbone",
        __name__,
        url_prefix=f"{prefix}/ops",
        description="Operators only: dead letters (replay, discard) and what is waiting.",
    )

    documented = operator_documented(blp)

    @blp.route("/dead-letters")
    class DeadLetters(MethodView):
        @documented()
        @blp.response(200, DeadLettersSchema)
        def get(self) -> dict[str, Any]:
            """The service's dead letters, newest first, replayed ones included."""
            require_operator()
            ops = ops_context()
            return {"service": ops.service, "items": list_dead_letters(ops.db, ops.tables)}

    @blp.route("/dead-letters/<int(max=9223372036854775807):letter_id>/replay")
    class Replay(MethodView):
        @documented((404, "No such dead letter"), (503, "NATS could not be reached"))
        @blp.response(200, ReplayedSchema)
        def post(self, letter_id: int) -> dict[str, Any]:
            """Publish the dead letter's event again to its subject and mark it replayed."""
            require_operator()
            ops = ops_context()
            try:
                msg_id = asyncio.run(
                    replay_dead_letter(ops.db, ops.tables, ops.nats_url, ops.events, letter_id)
                )
            except LookupError as exc:
                raise NotFound(str(exc)) from exc
            except (NatsError, TimeoutError, OSError) as exc:
                raise ServiceUnavailable(NATS_DOWN) from exc
            return {"replayed": letter_id, "msgId": msg_id}

    @blp.route("/dead-letters/<int(max=9223372036854775807):letter_id>/discard")
    class Discard(MethodView):
        @documented((404, "No such dead letter"))
        @blp.response(200, DiscardedSchema)
        def post(self, letter_id: int) -> dict[str, Any]:
            """Delete a dead letter that must never be applied (its payload goes to the log)."""
            require_operator()
            ops = ops_context()
            try:
                return discard_dead_letter(ops.db, ops.tables, letter_id)
            except LookupError as exc:
                raise NotFound(str(exc)) from exc

    @blp.route("/backlog")
    class Backlog(MethodView):
        @documented()
        @blp.response(200, BacklogSchema)
        def get(self) -> dict[str, Any]:
            """Outbox backlog and its oldest event's age, consumer lag, Dramatiq queues."""
            require_operator()
            return backlog_of_service()

    return blp


def backlog_of_service() -> dict[str, Any]:
    """The service's backlog; a backbone part that does not answer is named, not fatal."""
    ops = ops_context()
    with ops.db.transaction() as session:
        outbox = outbox_backlog(session, ops.tables)
        dead = open_dead_letters(session, ops.tables)
    body: dict[str, Any] = {
        "service": ops.service,
        "outboxUnpublished": outbox.unpublished,
        "outboxOldestAgeSeconds": round(outbox.oldest_age_seconds, 3),
        "openDeadLetters": dead,
        "consumers": [],
        "consumersError": None,
        "queues": [],
        "queuesError": None,
    }
    try:
        lags = read_consumer_lags(ops.nats_url, ops.events.stream)
        body["consumers"] = [
            {
                "durable": lag.durable,
                "pending": lag.pending,
                "ackPending": lag.ack_pending,
                "redelivered": lag.redelivered,
            }
            for lag in lags
            if lag.durable.startswith(tuple(ops.durable_prefixes))
        ]
    except (NatsError, TimeoutError, OSError) as exc:
        body["consumersError"] = f"{type(exc).__name__}: {exc}"[:300]
    if ops.queues:
        client = redis.Redis.from_url(ops.redis_url, socket_timeout=2, socket_connect_timeout=2)
        try:
            body["queues"] = [
                {
                    "queue": c.queue,
                    "ready": c.ready,
                    "inProgress": c.in_progress,
                    "delayed": c.delayed,
                    "dead": c.dead,
                }
                for c in queue_counts(client, ops.dramatiq_namespace, ops.queues)
            ]
        except redis.RedisError as exc:
            body["queuesError"] = f"{type(exc).__name__}: {exc}"[:300]
        finally:
            client.close()
    return body
