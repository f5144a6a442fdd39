"""The fixtures of tests/integration/charts, for this tier's tests of the same area."""

from tests.integration.charts.conftest import *  # noqa: F403 (every fixture, by design)
