"""The fixtures of tests/integration/stripe_standin, for this tier's tests of the same area."""

from tests.integration.stripe_standin.conftest import (
    client,
    make_standin,
    receiver,
    standin,
)

__all__ = [
    "client",
    "make_standin",
    "receiver",
    "standin",
]
