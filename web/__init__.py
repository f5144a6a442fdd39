"""The web front-end: server-rendered pages that call the APIs through the gateway."""
