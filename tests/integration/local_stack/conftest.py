"""The fixtures of tests/e2e/local_stack, for this tier's tests of the same area."""

from tests.e2e.local_stack.conftest import *  # noqa: F403 (every fixture, by design)
