"""What is waiting: outbox rows, dead letters, JetStream consumers' lag, Dramatiq queues."""
