"""Drive schemathesis over every operation of a document with Hypothesis."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.schemas import BaseSchema


def fuzz_every_operation(schema: BaseSchema, max_examples: int = 60) -> int:
    """Run the default checks (no 5xx, conformance to the document) on good and bad input."""
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=max_examples,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def call(case: Case) -> None:
                case.call_and_validate()

            try:
                call()
            except Unsatisfiable:
                if mode is GenerationMode.POSITIVE:
                    raise  # an operation without inputs has no invalid requests to generate
    return operations


def fuzz_negative(
    schema: BaseSchema, headers: dict[str, str], max_examples: int = 25
) -> dict[int, int]:
    """Send only invalid requests: each must get a documented 4xx problem listing its errors."""
    statuses: dict[int, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        @settings(
            max_examples=max_examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Case) -> None:
            response = case.call_and_validate(headers=headers)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code < 500, case.as_curl_command()
            if response.status_code >= 400:
                body = response.json()
                assert body["errors"] and all(e["message"] for e in body["errors"]), body

        try:
            call()
        except Unsatisfiable:
            continue  # an operation without inputs has no invalid requests to generate
    return statuses
