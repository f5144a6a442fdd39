"""Tiny real HTTP upstreams for gateway tests: they echo what reached them."""

from __future__ import annotations

import json
import socketserver
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

SLOW_SECONDS = 3


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def echo_app(name: str) -> WSGIApplication:
    """Answers with what it received; a few paths misbehave on purpose."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        if path.endswith("/slow"):
            time.sleep(SLOW_SECONDS)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        document = {
            "upstream": name,
            "method": environ["REQUEST_METHOD"],
            "path": path,
            "query": environ.get("QUERY_STRING", ""),
            "headers": headers,
            "bodyLength": len(body),
        }
        if path.endswith("/big"):
            document["padding"] = "ticket " * 20000
        payload = json.dumps(document).encode()
        response_headers = [("Content-Type", "application/json")]
        if path.endswith("/cookies"):
            response_headers += [
                ("Set-Cookie", "access_token_cookie=a; HttpOnly; Path=/"),
                ("Set-Cookie", "csrf_access_token=b; Path=/"),
            ]
        start_response("200 OK", [*response_headers, ("Content-Length", str(len(payload)))])
        return [payload]

    return app


@contextmanager
def serving(app: WSGIApplication) -> Iterator[int]:
    """Serve `app` on a free loopback port in background threads; yields the port."""
    server = make_server(
        "127.0.0.1", 0, app, server_class=ThreadingWSGIServer, handler_class=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
