"""The API documentation opens in Chromium: every Swagger UI page lists every operation, offline."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Request, expect

from common.http.spec_polish import operations
from devstack.running_stack import RunningStack
from tests.e2e.browser.browsing import Browsing, Screenshots

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("stack")]

DOCS = [
    ("/api/users/docs", "/api/users/openapi.json"),
    ("/api/tickets/docs", "/api/tickets/openapi.json"),
    ("/api/orders/docs", "/api/orders/openapi.json"),
    ("/api/payments/docs", "/api/payments/openapi.json"),
    ("/api/webhooks/docs", "/api/webhooks/openapi.json"),
    ("/developers/docs", "/developers/openapi.json"),
]


@pytest.mark.parametrize(
    ("page_path", "spec_path"), DOCS, ids=[d[0].strip("/").replace("/", "-") for d in DOCS]
)
def test_each_docs_page_renders_every_operation_without_a_cdn(
    stack: RunningStack, browsing: Browsing, shots: Screenshots, page_path: str, spec_path: str
) -> None:
    spec = requests.get(stack.url + spec_path, timeout=10).json()
    expected = {(method.upper(), path) for path, method, _ in operations(spec)}
    reader = browsing.user("reader")
    elsewhere: list[str] = []

    def note(request: Request) -> None:
        if not request.url.startswith(stack.url) and not request.url.startswith("data:"):
            elsewhere.append(request.url)

    reader.page.on("request", note)
    reader.page.goto(page_path)
    blocks = reader.page.locator(".opblock-summary")
    expect(blocks).to_have_count(len(expected), timeout=20_000)
    reader.shot(page_path.strip("/").replace("/", "-"))

    shown = set()
    for index in range(blocks.count()):
        block = blocks.nth(index)
        method = block.locator(".opblock-summary-method").inner_text().strip()
        path = block.locator(".opblock-summary-path").get_attribute("data-path")
        shown.add((method, path))
    assert shown == expected
    assert reader.page.get_by_text("Unable to render this definition").count() == 0
    assert reader.page.locator(".opblock-summary-operation-id").count() == len(expected)
    assert elsewhere == []
