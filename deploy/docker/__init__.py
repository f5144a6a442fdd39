"""The container image's helpers (docker-compose setup steps)."""
