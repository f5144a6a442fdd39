"""The fixtures of tests/integration/orders, for this tier's tests of the same area."""

from tests.integration.orders.conftest import *  # noqa: F403 (every fixture, by design)
