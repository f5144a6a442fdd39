"""HTTP kernel shared by every Flask service: app factory, errors, health, metrics, docs."""
