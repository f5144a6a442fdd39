"""One OpenAPI document for the whole platform, merged from the per-service documents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# The services' documents in the order the combined one lists them; their paths never overlap.
SERVICE_SPEC_PATHS: tuple[str, ...] = (
    "/api/users/openapi.json",
    "/api/tickets/openapi.json",
    "/api/orders/openapi.json",
    "/api/payments/openapi.json",
    "/api/webhooks/openapi.json",
)
TITLE = "Ticketing platform API"
DESCRIPTION = (
    "Every public operation of the platform in one document: auth (`/api/users`), tickets, "
    "orders, payments and webhooks. Authenticate with `Authorization: Bearer <token>`; send "
    "an `Idempotency-Key` header to retry a POST safely; errors are RFC 9457 problem+json."
)


class SpecConflict(ValueError):
    """Two services define one component name (or path) differently."""


def combine(documents: Sequence[Mapping[str, Any]], version: str = "1.0.0") -> dict[str, Any]:
    """Merge per-service documents: paths, tags and components (equal duplicates are one)."""
    combined: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": version, "description": DESCRIPTION},
        "paths": {},
        "tags": [],
        "components": {},
    }
    for document in documents:
        for path, item in document.get("paths", {}).items():
            if path in combined["paths"]:
                raise SpecConflict(f"path {path} is in two documents")
            combined["paths"][path] = item
        known_tags = {tag["name"] for tag in combined["tags"]}
        combined["tags"].extend(t for t in document.get("tags", []) if t["name"] not in known_tags)
        for section, entries in document.get("components", {}).items():
            _merge_section(combined["components"].setdefault(section, {}), section, entries)
    return combined


def _merge_section(target: dict[str, Any], section: str, entries: Mapping[str, Any]) -> None:
    for name, value in entries.items():
        if name in target and target[name] != value:
            raise SpecConflict(f"components.{section}.{name} differs between services")
        target[name] = value
