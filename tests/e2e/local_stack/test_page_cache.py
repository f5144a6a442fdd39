"""NGINX keeps the anonymous home page for a second; personal pages are never cached."""

from __future__ import annotations

import time

import requests

from tests.e2e.local_stack.conftest import RunningGateway


def echoed_request_id(response: requests.Response) -> str:
    return str(response.json()["headers"]["x-request-id"])


def test_anonymous_visitors_share_one_render_of_the_home_page_for_a_second(
    gateway: RunningGateway,
) -> None:
    if gateway.kind == "python":
        return
    time.sleep(2.1)  # an earlier test's cached copy has expired (NGINX counts whole seconds)
    first = requests.get(f"{gateway.url}/?cursor=cache-test", timeout=5)
    second = requests.get(f"{gateway.url}/?cursor=cache-test", timeout=5)

    assert second.headers["X-Cache"] == "HIT"
    assert echoed_request_id(second) == echoed_request_id(first)
    assert second.headers["X-Request-Id"] != first.headers["X-Request-Id"]
    time.sleep(2.2)
    later = requests.get(f"{gateway.url}/?cursor=cache-test", timeout=5)
    assert echoed_request_id(later) != echoed_request_id(first)


def test_a_visitor_with_a_session_cookie_always_gets_a_fresh_page(
    gateway: RunningGateway,
) -> None:
    if gateway.kind == "python":
        return
    cookies = {"access_token_cookie": "token"}
    requests.get(f"{gateway.url}/?cursor=personal", timeout=5)
    first = requests.get(f"{gateway.url}/?cursor=personal", cookies=cookies, timeout=5)
    second = requests.get(f"{gateway.url}/?cursor=personal", cookies=cookies, timeout=5)

    assert first.headers["X-Cache"] == second.headers["X-Cache"] == "BYPASS"
    assert echoed_request_id(first) != echoed_request_id(second)


def test_other_pages_are_never_cached(gateway: RunningGateway) -> None:
    first = requests.get(f"{gateway.url}/tickets/mine", timeout=5)
    second = requests.get(f"{gateway.url}/tickets/mine", timeout=5)

    assert "X-Cache" not in second.headers
    assert echoed_request_id(first) != echoed_request_id(second)
