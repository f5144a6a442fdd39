"""Property-based fuzzing of each OpenAPI document: no 5xx, no answer the document denies."""

from __future__ import annotations

from collections.abc import Callable

from schemathesis.schemas import BaseSchema

from tests.integration.fuzz.harness import fuzz_every_operation, fuzz_negative


def test_auth_api_honours_its_document(auth_schema: BaseSchema) -> None:
    assert fuzz_every_operation(auth_schema) == 10


def test_invalid_requests_to_the_four_apis_get_4xx_problems_that_list_their_errors(
    api_schemas: dict[str, BaseSchema], issue_token: Callable[..., str]
) -> None:
    headers = {"Authorization": f"Bearer {issue_token()}"}
    seen = {name: fuzz_negative(schema, headers) for name, schema in api_schemas.items()}
    for name, statuses in seen.items():
        # Some mutations touch what an operation ignores (an unknown header): those pass.
        assert any(400 <= status < 500 for status in statuses), (name, statuses)
        assert not any(status >= 500 for status in statuses), (name, statuses)
