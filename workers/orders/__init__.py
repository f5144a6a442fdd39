"""The orders service's event handlers and its consumer process."""
