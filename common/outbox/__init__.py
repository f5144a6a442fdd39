"""Transactional outbox: events are rows written with the change they describe."""

from common.outbox.record import record, record_many
from common.outbox.tables import NOTIFY_CHANNEL, OutboxTables, add_outbox_tables

__all__ = ["NOTIFY_CHANNEL", "OutboxTables", "add_outbox_tables", "record", "record_many"]
