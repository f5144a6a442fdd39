"""NGINX serves the web's static files from disk; the Python gateway leaves them to the web."""

from __future__ import annotations

import http.client
from pathlib import Path
from urllib.parse import urlsplit

import requests

from deploy.nginx.render import WEB_STATIC
from tests.e2e.local_stack.conftest import RunningGateway
from web.app import create_app
from web.config import WebSettings

STYLESHEET = "/static/css/app.css"


def test_nginx_serves_the_files_the_web_app_serves_under_the_same_url() -> None:
    app = create_app(WebSettings.from_env({}))

    assert app.static_url_path == WEB_STATIC.url_path
    assert Path(str(app.static_folder)).resolve() == WEB_STATIC.folder
    assert (WEB_STATIC.folder / "css" / "app.css").is_file()


def test_a_static_file_comes_from_disk_with_its_type_and_cache_headers_via_nginx(
    gateway: RunningGateway,
) -> None:
    response = requests.get(f"{gateway.url}{STYLESHEET}", timeout=5)

    if gateway.kind == "python":
        assert response.json()["upstream"] == "web"
        return
    assert response.status_code == 200
    assert response.content == (WEB_STATIC.folder / "css" / "app.css").read_bytes()
    assert response.headers["Content-Type"] == "text/css; charset=utf-8"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Request-Id"]
    assert response.headers["ETag"]


def test_a_static_file_the_browser_already_has_is_a_304_via_nginx(
    gateway: RunningGateway,
) -> None:
    if gateway.kind == "python":
        return
    first = requests.get(f"{gateway.url}{STYLESHEET}", timeout=5)

    again = requests.get(
        f"{gateway.url}{STYLESHEET}", headers={"If-None-Match": first.headers["ETag"]}, timeout=5
    )

    assert again.status_code == 304
    assert again.content == b""


def test_a_script_is_javascript_and_compressed_when_large_enough(gateway: RunningGateway) -> None:
    if gateway.kind == "python":
        return
    script = requests.get(f"{gateway.url}/static/js/countdown.js", timeout=5)
    stylesheet = requests.get(
        f"{gateway.url}{STYLESHEET}", headers={"Accept-Encoding": "gzip"}, timeout=5
    )

    assert script.headers["Content-Type"] == "application/javascript; charset=utf-8"
    assert stylesheet.headers["Content-Encoding"] == "gzip"


def test_a_missing_static_file_a_folder_and_a_post_are_left_to_the_web(
    gateway: RunningGateway,
) -> None:
    missing = requests.get(f"{gateway.url}/static/nope.css?v=1", timeout=5)
    folder = requests.get(f"{gateway.url}/static/css/", timeout=5)
    posted = requests.post(f"{gateway.url}{STYLESHEET}", data=b"x", timeout=5)

    assert missing.json() | {"upstream": "web", "path": "/static/nope.css", "query": "v=1"} == (
        missing.json()
    )
    assert folder.json()["path"] == "/static/css/"
    assert posted.json() | {"upstream": "web", "method": "POST", "bodyLength": 1} == posted.json()


def raw_get(url: str, path: str) -> bytes:
    """GET `path` exactly as written (requests would remove its dot segments)."""
    connection = http.client.HTTPConnection(str(urlsplit(url).netloc), timeout=5)
    try:
        connection.request("GET", path)
        return connection.getresponse().read()
    finally:
        connection.close()


def test_a_path_that_climbs_out_of_the_static_folder_never_reads_the_disk(
    gateway: RunningGateway,
) -> None:
    for path in (
        "/static/../../setup.cfg",
        "/static/css/../../../setup.cfg",
        "/static/..%2f..%2fsetup.cfg",
    ):
        assert b"[metadata]" not in raw_get(gateway.url, path), path
