"""How an operator route documents itself: its security and the errors every one of them has."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_smorest import Blueprint

from common.http.docs import SECURITY
from common.http.problems import PROBLEM_JSON, ProblemSchema

OPERATOR_ERRORS = (
    (401, "Not signed in (or cookie without X-CSRF-Token)"),
    (403, "Not an operator (python -m api.auth.operators grant EMAIL)"),
)

Decorator = Callable[[Any], Any]


def operator_documented(blp: Blueprint, *always: tuple[int, str]) -> Callable[..., Decorator]:
    """`documented(*extra)` for `blp`: the operator errors, `always` and `extra`, and security."""

    def documented(*extra: tuple[int, str]) -> Decorator:
        def decorate(view: Any) -> Any:
            for status, description in (*OPERATOR_ERRORS, *always, *extra):
                view = blp.alt_response(
                    status, schema=ProblemSchema, content_type=PROBLEM_JSON, description=description
                )(view)
            return blp.doc(security=SECURITY)(view)

        return decorate

    return documented
