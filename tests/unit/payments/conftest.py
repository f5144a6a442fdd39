"""The fixtures of tests/integration/payments, for this tier's tests of the same area."""

from tests.integration.payments.conftest import *  # noqa: F403 (every fixture, by design)
