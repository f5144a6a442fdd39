"""Webhooks out: integrators register endpoints; signed deliveries of platform events."""
