"""The fixtures of tests/integration/charts, for this tier's tests of the same area."""

from tests.integration.charts.conftest import (
    helm,
    kubernetes_validate,
    render,
    render_text,
    stack_chart,
)

__all__ = [
    "helm",
    "kubernetes_validate",
    "render",
    "render_text",
    "stack_chart",
]
