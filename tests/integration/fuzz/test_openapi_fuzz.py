"""Property-based fuzzing of each OpenAPI document: no 5xx, no answer the document denies."""

from __future__ import annotations

from schemathesis.schemas import BaseSchema

from tests.integration.fuzz.harness import fuzz_every_operation


def test_auth_api_honours_its_document(auth_schema: BaseSchema) -> None:
    assert fuzz_every_operation(auth_schema) == 6
