"""Property-based fuzzing of the orders API against its own OpenAPI document."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode


def fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str], seen: set[int]) -> None:
    """Call one operation with generated input and check the answer against the document."""
    positive = mode is GenerationMode.POSITIVE

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=50, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def call(case: Case) -> None:
        if positive and case.query:
            # Only cursors the API handed out are valid, which no schema can say.
            case.query.pop("cursor", None)
        seen.add(case.call_and_validate(headers=headers).status_code)

    call()


def test_the_orders_api_answers_good_and_bad_input_as_documented_and_never_with_5xx(
    app: Flask,
    auth: Callable[[uuid.UUID], dict[str, str]],
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/orders/openapi.json", app)
    headers, seen = auth(uuid.uuid4()), set[int]()
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode, headers, seen)
    assert len(operations) == 4
    assert {200, 404, 422} <= seen
    assert not any(status >= 500 for status in seen)
