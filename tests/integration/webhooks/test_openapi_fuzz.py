"""Property-based fuzzing of the webhooks API against its own OpenAPI document."""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from common.http.idempotency import HEADER
from tests.integration.webhooks.conftest import Auth


def fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str], seen: set[int]) -> None:
    """Call one operation with generated input and check the answer against the document."""
    # A URL's host must resolve to a public address, which no schema can say: generated URLs
    # are rightly refused (422); tests/webhooks/test_endpoints_api.py registers real ones.
    takes_url = operation.method.upper() in {"POST", "PUT"} and operation.path.endswith(
        ("/endpoints", "/{endpoint_id}")
    )
    excluded = [positive_data_acceptance] if takes_url else []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def call(case: Case) -> None:
        if mode is GenerationMode.POSITIVE and case.headers and HEADER in case.headers:
            case.headers[HEADER] = uuid.uuid4().hex  # reuse is covered by the idempotency tests
        seen.add(case.call_and_validate(headers=headers, excluded_checks=excluded).status_code)

    call()


def test_the_webhooks_api_answers_good_and_bad_input_as_documented_and_never_with_5xx(
    app: Flask, auth: Auth
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/webhooks/openapi.json", app)
    headers, seen = auth(uuid.uuid4()), set[int]()
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode, headers, seen)
    assert len(operations) == 8
    assert {200, 404, 422} <= seen
    assert not any(status >= 500 for status in seen)
