"""Property-based fuzzing of the payments API against its own OpenAPI document."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from common.http.idempotency import HEADER
from devtools.stripe_standin.server import StandinServer
from tests.integration.payments.conftest import Auth, intents


def fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str], seen: set[int]) -> None:
    """Call one operation with generated input and check the answer against the document."""
    # No schema can produce a valid HMAC, so every generated webhook is rightly refused (400);
    # the webhook tests send signed ones.
    excluded = [positive_data_acceptance] if operation.path.endswith("/webhook") else []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=50, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def call(case: Case) -> None:
        if mode is GenerationMode.POSITIVE and case.headers and HEADER in case.headers:
            # A key reused with another body is rightly refused (422): one key per case here;
            # tests/payments/test_idempotency.py covers reuse.
            case.headers[HEADER] = uuid.uuid4().hex
        seen.add(case.call_and_validate(headers=headers, excluded_checks=excluded).status_code)

    call()


def test_the_payments_api_answers_good_and_bad_input_as_documented_and_never_with_5xx(
    make_app: Callable[..., Flask],
    auth: Auth,
    standin: StandinServer,
    issue_token: Callable[..., str],
) -> None:
    # Generated order ids are unknown: answer 404 at once instead of waiting for the replica.
    app = make_app(PAYMENTS_ORDER_WAIT_MS="0")
    schema = schemathesis.openapi.from_wsgi("/api/payments/openapi.json", app)
    headers, seen = auth(uuid.uuid4()), set[int]()
    # The operators' routes are fuzzed as an operator, or they would only ever answer 403.
    operator = {"Authorization": f"Bearer {issue_token(uuid.uuid4(), roles=['operator'])}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        who = operator if "/ops/" in operation.path else headers
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode, who, seen)
    assert len(operations) == 4 + 7  # the buyers' routes, the operators' routes
    assert {200, 400, 404, 422} <= seen
    assert not any(status >= 500 for status in seen)
    assert intents(standin) == []
