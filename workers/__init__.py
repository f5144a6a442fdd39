"""Background processes: the outbox relay, event consumers and asynchronous jobs."""
