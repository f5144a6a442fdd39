"""The fixtures of tests/e2e/expiration, for this tier's tests of the same area."""

from tests.e2e.expiration.conftest import *  # noqa: F403 (every fixture, by design)
