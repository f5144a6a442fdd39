"""Both gateways (Python and NGINX) route, limit and fail the same way, with real processes."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.e2e.local_stack.conftest import RunningGateway

MIB = 1024 * 1024


def problem(status: int, title: str, detail: str) -> dict[str, Any]:
    errors = [{"message": detail, "field": None}]
    return {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": errors,
    }


def assert_problem(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["X-Request-Id"]
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["errors"] == [{"message": body["detail"], "field": None}]
    return body


def test_api_prefixes_reach_their_service_with_path_and_query_intact(
    gateway: RunningGateway,
) -> None:
    response = requests.get(f"{gateway.url}/api/users/currentuser?page=2&q=a%20b", timeout=5)

    assert response.status_code == 200
    echoed = response.json()
    assert echoed["upstream"] == "auth"
    assert echoed["path"] == "/api/users/currentuser"
    assert echoed["query"] == "page=2&q=a%20b"


def test_the_bare_prefix_reaches_its_service(gateway: RunningGateway) -> None:
    assert requests.get(f"{gateway.url}/api/users", timeout=5).json()["upstream"] == "auth"


@pytest.mark.parametrize("path", ["/", "/tickets/new", "/static/app.css", "/apis"])
def test_every_other_path_reaches_the_web(gateway: RunningGateway, path: str) -> None:
    response = requests.get(f"{gateway.url}{path}", timeout=5)

    assert response.json() == response.json() | {"upstream": "web", "path": path}


@pytest.mark.parametrize("path", ["/api/nope", "/api/", "/api", "/api/usersx", "/api/x/api/users"])
def test_an_api_path_nobody_serves_is_a_404_problem_from_the_gateway(
    gateway: RunningGateway, path: str
) -> None:
    response = requests.post(f"{gateway.url}{path}", json={}, timeout=5)

    assert assert_problem(response, 404) == problem(404, "Not Found", "No API at this path")


def test_a_dead_upstream_is_a_502_problem(gateway: RunningGateway) -> None:
    response = requests.get(f"{gateway.url}/api/tickets/1", timeout=5)

    assert assert_problem(response, 502)["title"] == "Bad Gateway"


def test_an_upstream_slower_than_the_timeout_is_a_504_problem(gateway: RunningGateway) -> None:
    response = requests.get(f"{gateway.url}/api/users/slow", timeout=10)

    assert assert_problem(response, 504)["title"] == "Gateway Timeout"


def test_a_body_of_one_mebibyte_passes(gateway: RunningGateway) -> None:
    response = requests.post(f"{gateway.url}/api/users/signup", data=b"x" * MIB, timeout=10)

    assert response.status_code == 200
    assert response.json()["bodyLength"] == MIB


def test_a_body_over_one_mebibyte_is_a_413_problem(gateway: RunningGateway) -> None:
    response = requests.post(f"{gateway.url}/api/users/signup", data=b"x" * (MIB + 1), timeout=10)

    assert assert_problem(response, 413)["detail"] == "The request body is larger than 1 MiB"


def chunks(total: int) -> Iterator[bytes]:
    for _ in range(total // 4096):
        yield b"y" * 4096


def test_a_chunked_body_is_forwarded_whole(gateway: RunningGateway) -> None:
    response = requests.post(f"{gateway.url}/api/users/signup", data=chunks(64 * 4096), timeout=10)

    assert response.status_code == 200
    assert response.json()["bodyLength"] == 64 * 4096


def test_a_chunked_body_over_one_mebibyte_is_a_413_problem(gateway: RunningGateway) -> None:
    response = requests.post(f"{gateway.url}/api/users/signup", data=chunks(2 * MIB), timeout=10)

    assert_problem(response, 413)


def test_a_request_id_is_made_up_when_absent_and_returned(gateway: RunningGateway) -> None:
    response = requests.get(f"{gateway.url}/api/users/currentuser", timeout=5)

    sent_upstream = response.json()["headers"]["x-request-id"]
    assert len(sent_upstream) >= 16
    assert response.headers["X-Request-Id"] == sent_upstream


def test_the_clients_request_id_is_kept(gateway: RunningGateway) -> None:
    response = requests.get(
        f"{gateway.url}/tickets", headers={"X-Request-Id": "trace-42"}, timeout=5
    )

    assert response.json()["headers"]["x-request-id"] == "trace-42"
    assert response.headers["X-Request-Id"] == "trace-42"


def test_forwarding_headers_describe_the_client(gateway: RunningGateway) -> None:
    host = gateway.url.removeprefix("http://")

    headers = requests.get(
        f"{gateway.url}/api/users/currentuser",
        headers={"X-Forwarded-For": "203.0.113.9"},
        timeout=5,
    ).json()["headers"]

    assert headers["host"] == host
    assert headers["x-forwarded-host"] == host
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"


def test_every_set_cookie_header_survives(gateway: RunningGateway) -> None:
    response = requests.post(f"{gateway.url}/api/users/cookies", timeout=5)

    cookies = response.raw.headers.getlist("Set-Cookie")
    assert cookies == ["access_token_cookie=a; HttpOnly; Path=/", "csrf_access_token=b; Path=/"]


def test_nginx_compresses_json_and_the_python_gateway_passes_it_as_sent(
    gateway: RunningGateway,
) -> None:
    response = requests.get(
        f"{gateway.url}/api/users/big", headers={"Accept-Encoding": "gzip"}, stream=True, timeout=5
    )
    raw = response.raw.read()

    if gateway.kind == "nginx":
        assert response.headers["Content-Encoding"] == "gzip"
        raw = gzip.decompress(raw)
    else:
        assert "Content-Encoding" not in response.headers
    assert json.loads(raw)["upstream"] == "auth"
