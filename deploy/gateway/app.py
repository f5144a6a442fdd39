"""The gateway's WSGI application: route by prefix, forward, stream the answer back."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.client import HTTPConnection, HTTPException
from wsgiref.types import StartResponse, WSGIEnvironment

from deploy.gateway.forwarding import (
    RequestBody,
    UpstreamBody,
    request_body,
    request_headers,
    request_target,
    response_headers,
)
from deploy.gateway.problems import PROBLEM_CONTENT_TYPE, problem_body
from deploy.gateway.routes import RouteTable, Upstream

MAX_BODY_BYTES = 1024 * 1024

logger = logging.getLogger("deploy.gateway")


@dataclass(frozen=True)
class GatewaySettings:
    """Routes and limits of the gateway."""

    routes: RouteTable
    timeout_seconds: float = 60.0
    connect_timeout_seconds: float = 5.0
    max_body_bytes: int = MAX_BODY_BYTES

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> GatewaySettings:
        """Read GATEWAY_ROUTES, GATEWAY_DEFAULT_UPSTREAM and GATEWAY_TIMEOUT_SECONDS."""
        return cls(
            routes=RouteTable.from_environ(environ),
            timeout_seconds=float(environ.get("GATEWAY_TIMEOUT_SECONDS", "60")),
        )


class Gateway:
    """A reverse proxy with NGINX's routing, limits and problem+json errors."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request_id = environ.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex
        upstream = self.settings.routes.upstream_for(environ.get("PATH_INFO", "/"))
        if upstream is None:
            return self._problem(start_response, 404, request_id)
        try:
            body = request_body(environ, self.settings.max_body_bytes)
        except ValueError:
            return self._problem(start_response, 400, request_id)
        if (body.length or 0) > self.settings.max_body_bytes:
            return self._problem(start_response, 413, request_id)
        return self._forward(environ, start_response, upstream, body, request_id)

    def _forward(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        upstream: Upstream,
        body: RequestBody,
        request_id: str,
    ) -> Iterable[bytes]:
        connection = HTTPConnection(
            upstream.host, upstream.port, timeout=self.settings.connect_timeout_seconds
        )
        try:
            connection.connect()
            if connection.sock is not None:
                connection.sock.settimeout(self.settings.timeout_seconds)
            connection.putrequest(
                environ["REQUEST_METHOD"],
                request_target(environ),
                skip_host=True,
                skip_accept_encoding=True,
            )
            for name, value in request_headers(environ, request_id):
                connection.putheader(name, value)
            if body.length is not None:
                connection.putheader("Content-Length", str(body.length))
            connection.endheaders()
            for chunk in body.chunks:
                connection.send(chunk)
            response = connection.getresponse()
        except TimeoutError:
            connection.close()
            logger.warning("upstream %s timed out (request %s)", upstream.address, request_id)
            return self._problem(start_response, 504, request_id)
        except (OSError, HTTPException) as exc:
            connection.close()
            logger.warning("upstream %s failed: %r (request %s)", upstream.address, exc, request_id)
            return self._problem(start_response, 502, request_id)
        start_response(
            _status_line(response.status, response.reason), response_headers(response, request_id)
        )
        return UpstreamBody(connection, response)

    @staticmethod
    def _problem(start_response: StartResponse, status: int, request_id: str) -> list[bytes]:
        body = problem_body(status)
        start_response(
            _status_line(status, ""),
            [
                ("Content-Type", PROBLEM_CONTENT_TYPE),
                ("Content-Length", str(len(body))),
                ("X-Request-Id", request_id),
            ],
        )
        return [body]


def _status_line(status: int, reason: str) -> str:
    if not reason:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
    return f"{status} {reason}"


def create_app(settings: GatewaySettings | None = None) -> Gateway:
    """Build the gateway from the environment (or the given settings)."""
    return Gateway(settings or GatewaySettings.from_environ(os.environ))
