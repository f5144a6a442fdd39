"""The tickets service's event handlers and consumer process."""
