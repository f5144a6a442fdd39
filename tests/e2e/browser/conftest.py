"""One platform for the browser tests behind NGINX, and a real headless Chromium to drive it.

The platform lives as long as this package's tests (package scope), so a worker running other
tests afterwards does not keep its processes and database connections. The browser is started
per test: Playwright's sync API holds an asyncio loop in the thread while it runs, and other
tests on the same worker call asyncio.run().
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from devstack.gateway_process import find_nginx
from devstack.running_stack import ORDER_EXPIRATION_SECONDS, RunningStack, running_stack
from devstack.settings import PROJECT_ROOT
from tests.e2e.browser.browsing import CHROMIUM, Browsing, Screenshots

SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing(what: str) -> None:
    """Skip on a developer machine without `what`; in CI (CI=true) that is a failure."""
    message = f"{what} is not installed (.ci/run installs it)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember whether the test body failed, so its pages can be photographed."""
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


@pytest.fixture(scope="package")
def chromium_path() -> Path:
    """Debian's Chromium (Playwright cannot download its own browsers here)."""
    if not CHROMIUM.exists():
        _missing(str(CHROMIUM))
    return CHROMIUM


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[RunningStack]:
    """The platform as `make up` brings it up, with NGINX as the gateway."""
    if find_nginx() is None:
        _missing("nginx")
    with running_stack(
        tmp_path_factory.mktemp("stack") / "run", order_expiration_seconds=ORDER_EXPIRATION_SECONDS
    ) as running:
        yield running


@pytest.fixture
def browsing(stack: RunningStack, chromium_path: Path) -> Iterator[Browsing]:
    """A headless Chromium for the test; each user gets a context (cookies) of their own."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield Browsing(browser, stack.url)
        finally:
            browser.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest, browsing: Browsing) -> Iterator[Screenshots]:
    """Screenshots of this test under artifacts/screenshots/<test name>/, and its users' pages."""
    folder = SCREENSHOTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    screenshots = Screenshots(folder)
    browsing.begin(screenshots)
    yield screenshots
    if request.node.stash.get(FAILED, False):
        browsing.photograph_all("failure")
    browsing.end()
