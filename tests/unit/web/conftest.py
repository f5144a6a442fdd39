"""The fixtures of tests/integration/web, for this tier's tests of the same area."""

from tests.integration.web.conftest import *  # noqa: F403 (every fixture, by design)
