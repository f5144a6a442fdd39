"""The fixtures of tests/integration/tickets, for this tier's tests of the same area."""

from tests.integration.tickets.conftest import *  # noqa: F403 (every fixture, by design)
