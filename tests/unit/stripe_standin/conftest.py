"""The fixtures of tests/integration/stripe_standin, for this tier's tests of the same area."""

from tests.integration.stripe_standin.conftest import *  # noqa: F403 (every fixture, by design)
