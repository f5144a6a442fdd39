"""Property-based fuzzing of the orders API against its own OpenAPI document."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode

from common.http.idempotency import HEADER


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
        if positive and case.headers and HEADER in case.headers:
            # A key reused with another body is rightly refused (422): one key per case here;
            # tests/orders/test_idempotency.py covers reuse.
            case.headers[HEADER] = uuid.uuid4().hex
        seen.add(case.call_and_validate(headers=headers).status_code)

    try:
        call()
    except Unsatisfiable:
        if positive:
            raise  # an operation without inputs has no invalid requests to generate


def test_the_orders_api_answers_good_and_bad_input_as_documented_and_never_with_5xx(
    app: Flask,
    auth: Callable[[uuid.UUID], dict[str, str]],
    issue_token: Callable[..., str],
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/orders/openapi.json", app)
    headers, seen = auth(uuid.uuid4()), set[int]()
    # The operators' routes are fuzzed as an operator, or they would only ever answer 403.
    operator = {"Authorization": f"Bearer {issue_token(uuid.uuid4(), roles=['operator'])}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        who = operator if "/ops/" in operation.path else headers
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode, who, seen)
    assert len(operations) == 6 + 8  # the buyers' routes (and the line), the operators' routes
    assert {200, 404, 422} <= seen
    assert not any(status >= 500 for status in seen)
