"""The fixtures of tests/integration/web, for this tier's tests of the same area."""

from tests.integration.web.conftest import (
    api_env,
    backend,
    browser,
    make_browser,
    make_web,
    web_app,
    web_env,
)

__all__ = [
    "api_env",
    "backend",
    "browser",
    "make_browser",
    "make_web",
    "web_app",
    "web_env",
]
