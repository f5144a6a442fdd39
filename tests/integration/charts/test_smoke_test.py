"""The `helm test` script (charts/ticketing/files/smoke_test.py) passes and fails when it should."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from tests.integration.charts.conftest import CHART, ROOT

SCRIPT = CHART / "files" / "smoke_test.py"
PROBLEM = "application/problem+json"


class Platform(BaseHTTPRequestHandler):
    """Answers like the platform behind the ingress; `broken` paths answer like a web page."""

    broken: ClassVar[set[str]] = set()
    hosts: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hosts.append(self.headers.get("Host", ""))
        answers = {
            "/api/users/currentuser": (200, "application/json", {"currentUser": None}),
            "/api/tickets": (200, "application/json", {"items": [], "nextCursor": None}),
            "/api/orders": (401, PROBLEM, {"status": 401}),
            "/api/payments/openapi.json": (200, "application/json", {"openapi": "3.0.3"}),
            "/": (200, "text/html; charset=utf-8", None),
        }
        status, content_type, document = answers.get(self.path, (404, PROBLEM, {"status": 404}))
        if self.path in self.broken:
            status, content_type, document = 404, "text/html", None
        body = json.dumps(document).encode() if document is not None else b"<html></html>"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def platform() -> Iterator[str]:
    Platform.broken, Platform.hosts = set(), []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Platform)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def smoke_test(url: str) -> subprocess.CompletedProcess[str]:
    env = {"INGRESS_URL": url, "INGRESS_HOST": "tickets.example.com", "SMOKE_TEST_SECONDS": "1"}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT.read_text()],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_the_smoke_test_passes_against_the_platform_answers(platform: str) -> None:
    result = smoke_test(platform)
    assert result.returncode == 0, result.stdout
    assert "ok   GET /api/nope: 404" in result.stdout
    assert set(Platform.hosts) == {"tickets.example.com"}


def test_the_smoke_test_fails_when_unknown_api_paths_get_a_web_page(platform: str) -> None:
    Platform.broken = {"/api/nope"}
    result = smoke_test(platform)
    assert result.returncode == 1
    assert "FAIL GET /api/nope: content type 'text/html'" in result.stdout


def test_the_smoke_test_fails_when_nothing_answers() -> None:
    result = smoke_test("http://127.0.0.1:9")
    assert result.returncode == 1
    assert result.stdout.count("FAIL") == 6


def test_the_entrypoint_passes_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    entrypoint = ROOT / "deploy" / "docker" / "entrypoint.sh"
    result = subprocess.run(
        [shellcheck, str(entrypoint)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
