"""Webhooks out: the consumer that records deliveries and the dispatcher that sends them."""
