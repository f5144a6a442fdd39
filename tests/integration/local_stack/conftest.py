"""The fixtures of tests/e2e/local_stack, for this tier's tests of the same area."""

from tests.e2e.local_stack.conftest import (
    gateway,
    upstreams,
)

__all__ = [
    "gateway",
    "upstreams",
]
