"""The payments service's Dramatiq actors, event handlers, consumer and reconciler."""
