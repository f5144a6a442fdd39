"""Finish a generated OpenAPI document: named enums, examples, ids and error responses.

apispec writes a nullable enum as `type: [string, null]` + `enum: [..., null]`, which
client generators turn into one anonymous type per branch (`order_reason_type_2_type_1`).
Here each enum becomes one named component (`OrderReason`), referenced directly or as
`anyOf: [$ref, {type: null}]` when nullable, so generated clients get `OrderReason | None`.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
METHODS = ("get", "put", "post", "delete", "patch")
REF_PREFIX = "#/components/schemas/"
EXAMPLE_UUID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
EXAMPLE_TIME = "2026-11-24T20:00:00.000Z"
_UNUSED_BUILTINS = ("PaginationMetadata",)
_TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}


def polish(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `spec` with named enums, operation ids, examples and default errors."""
    document = copy.deepcopy(dict(spec))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    _name_enums(schemas)
    for name in _UNUSED_BUILTINS:
        if name in schemas and f'"{REF_PREFIX}{name}"' not in _text(document, skip=name):
            del schemas[name]
    for path, method, operation in operations(document):
        operation.setdefault("operationId", fallback_operation_id(method, path))
        operation["responses"].setdefault(
            "default", {"$ref": "#/components/responses/DEFAULT_ERROR"}
        )
        _add_examples(operation, schemas)
        _document_replays(operation)
    return document


def _document_replays(operation: dict[str, Any]) -> None:
    """An operation taking Idempotency-Key marks replayed answers with Idempotent-Replayed."""
    names = [p.get("name") for p in operation.get("parameters", [])]
    if "Idempotency-Key" not in names:
        return
    for status, response in operation["responses"].items():
        if status.startswith("2") or status == "402":
            response.setdefault("headers", {})["Idempotent-Replayed"] = {
                "description": "`true` when this is the kept answer to an earlier request "
                "with the same Idempotency-Key and body",
                "schema": {"type": "string", "enum": ["true"]},
            }


def operations(document: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every (path, method, operation) of a document."""
    found = []
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                found.append((path, method, item[method]))
    return found


def fallback_operation_id(method: str, path: str) -> str:
    """`post /api/orders/{order_id}/cancel` -> `postOrdersOrderIdCancel` (views name theirs)."""
    words = [w for w in re.split(r"[/{}_-]+", path) if w and w != "api"]
    return method + "".join(word[:1].upper() + word[1:] for word in words)


def _text(document: Mapping[str, Any], skip: str) -> str:
    without = dict(document)
    without["components"] = {
        **document["components"],
        "schemas": {k: v for k, v in document["components"]["schemas"].items() if k != skip},
    }
    return json.dumps(without)


def _name_enums(schemas: dict[str, Any]) -> None:
    """Hoist every property enum (or array-of-enum items) into a named schema.

    The name is the property's `title` when it has one, else `<Schema><Property>`; equal
    enums share the first name given.
    """
    named: dict[tuple[Any, ...], str] = {}
    for schema_name in list(schemas):
        properties = schemas[schema_name].get("properties", {})
        for prop_name, prop in properties.items():
            suggested = schema_name + prop_name[:1].upper() + prop_name[1:]
            if "enum" in prop:
                properties[prop_name] = _named(prop, suggested, named, schemas)
            elif "enum" in prop.get("items", {}):
                prop["items"] = _named(prop["items"], suggested + "Item", named, schemas)


def _named(
    prop: dict[str, Any], suggested: str, named: dict[tuple[Any, ...], str], schemas: dict[str, Any]
) -> dict[str, Any]:
    values = [v for v in prop["enum"] if v is not None]
    nullable = None in prop["enum"] or "null" in _types(prop)
    key = tuple(values)
    if key not in named:
        enum_name = prop.get("title") or suggested
        named[key] = enum_name
        schemas[enum_name] = {"type": _enum_type(values), "enum": values}
    ref = {"$ref": REF_PREFIX + named[key]}
    kept = {k: v for k, v in prop.items() if k in {"description", "example", "default"}}
    if nullable:
        return {"anyOf": [ref, {"type": "null"}], **kept}
    return {**ref, **kept}


def _types(prop: Mapping[str, Any]) -> list[str]:
    kind = prop.get("type", [])
    return [kind] if isinstance(kind, str) else list(kind)


def _enum_type(values: list[Any]) -> str:
    if all(isinstance(v, bool) for v in values):
        return "boolean"
    if all(isinstance(v, int) for v in values):
        return "integer"
    return "string"


def example_of(schema: Mapping[str, Any], schemas: Mapping[str, Any], depth: int = 0) -> Any:
    """An example value for `schema`: its own example, else one built from its type."""
    if depth > 6:
        return None
    if "example" in schema:
        return schema["example"]
    if "$ref" in schema:
        return example_of(schemas[schema["$ref"].removeprefix(REF_PREFIX)], schemas, depth + 1)
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            return example_of(schema[combinator][0], schemas, depth + 1)
    if "enum" in schema:
        return next((v for v in schema["enum"] if v is not None), None)
    kinds = [k for k in _types(schema) if k != "null"]
    kind = kinds[0] if kinds else ("object" if "properties" in schema else "string")
    if kind == "object":
        return {
            name: example_of(prop, schemas, depth + 1)
            for name, prop in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [example_of(schema.get("items", {}), schemas, depth + 1)]
    return _scalar_example(kind, schema)


def _scalar_example(kind: str, schema: Mapping[str, Any]) -> Any:
    if "default" in schema:
        return schema["default"]
    if kind in {"integer", "number"}:
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    fmt = schema.get("format")
    if fmt == "uuid":
        return EXAMPLE_UUID
    if fmt == "date-time":
        return EXAMPLE_TIME
    if fmt in {"uri", "url"}:
        return "https://example.com/hooks"
    if fmt == "email":
        return "ann@example.com"
    return "string"


def _add_examples(operation: dict[str, Any], schemas: Mapping[str, Any]) -> None:
    body = operation.get("requestBody", {}).get("content", {}).get(JSON)
    if body is not None and "example" not in body and "schema" in body:
        body["example"] = example_of(body["schema"], schemas)
    for status, response in operation["responses"].items():
        for media_type, media in response.get("content", {}).items():
            if "example" in media or "schema" not in media:
                continue
            if media_type == PROBLEM_JSON and status.isdigit():
                media["example"] = _problem_example(int(status), response.get("description", ""))
            else:
                media["example"] = example_of(media["schema"], schemas)


def _problem_example(status: int, description: str) -> dict[str, Any]:
    title = _TITLES.get(status) or HTTPStatus(status).phrase
    return {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": description or title,
        "errors": [{"message": description or title, "field": None}],
        "requestId": "4c1d2b0e9a7f4d6e",
    }
