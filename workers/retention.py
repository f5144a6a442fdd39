"""What a service database may forget, and from when; its relay's housekeeping deletes it.

Consumers remember every processed event id (to drop redeliveries), and tickets remembers
closed orders (so a late orders.created never locks). Neither can matter once the stream
no longer holds a message that could bring that event or order back: a message leaves the
stream `EVENTS_MAX_AGE_DAYS` after it was published, which was before it was processed or
the order closed. A day more is kept as a margin. An operator replaying a dead letter older
than that replays it as new.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

from common.outbox.tables import PROCESSED_TABLE

MARGIN_SECONDS = 24 * 3600.0


@dataclass(frozen=True)
class Remembered:
    """Rows of `table` whose `since` timestamp is older than the stream's reach."""

    table: str
    since: str

    def forget(self) -> sql.Composed:
        """DELETE of the rows older than %s seconds (the parameter)."""
        return sql.SQL("DELETE FROM {} WHERE {} < now() - make_interval(secs => %s)").format(
            sql.Identifier(self.table), sql.Identifier(self.since)
        )


PROCESSED = Remembered(PROCESSED_TABLE, "processed_at")
# Service by service, what else each database remembers about events.
SERVICE_MEMORY: dict[str, tuple[Remembered, ...]] = {
    "tickets": (Remembered("closed_orders", "closed_at"),),
}


def remembered(service: str) -> tuple[Remembered, ...]:
    """Everything the service's database remembers about past events."""
    return (PROCESSED, *SERVICE_MEMORY.get(service, ()))


def keep_seconds(stream_max_age_seconds: float) -> float:
    """How long a remembered row is kept: the stream's retention and the margin."""
    return stream_max_age_seconds + MARGIN_SECONDS
