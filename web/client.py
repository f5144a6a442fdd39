"""The HTTP client of the APIs behind the gateway: one connection pool, JSON in and out."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import urllib3
from urllib3.exceptions import HTTPError

from common.errors import FieldError

log = logging.getLogger(__name__)

JSON_TYPES = ("application/json", "application/problem+json")


class ApiUnavailable(Exception):
    """The gateway or an API could not be reached, timed out, or failed on its side (5xx)."""

    def __init__(
        self,
        detail: str,
        status: int | None = None,
        *,
        retry_after: int | None = None,
        queue_position: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status
        # A busy API says when to come back; the waiting room also says the place in line.
        self.retry_after = retry_after
        self.queue_position = queue_position


class ApiProblem(Exception):
    """An API refused the request with a problem+json answer (4xx)."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: Sequence[FieldError] = (),
        retry_after: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = list(errors)
        self.retry_after = retry_after


def header_int(value: str | None) -> int | None:
    """A whole-number header (Retry-After in seconds, Queue-Position), or None."""
    return int(value) if value and value.strip().isdigit() else None


def _field_errors(raw: Any) -> list[FieldError]:
    if not isinstance(raw, list):
        return []
    errors = []
    for item in raw:
        if isinstance(item, dict) and isinstance(item.get("message"), str):
            field_name = item.get("field")
            errors.append(FieldError(item["message"], field_name if field_name else None))
    return errors


@dataclass(frozen=True)
class ApiResponse:
    """An API's answer: status, parsed JSON body (or None) and the cookies it set."""

    status: int
    body: Any
    set_cookies: Sequence[str] = field(default=())
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def problem(self) -> ApiProblem:
        """The answer as an ApiProblem (for a 4xx)."""
        body = self.body if isinstance(self.body, dict) else {}
        detail = body.get("detail")
        if not isinstance(detail, str) or not detail:
            detail = f"The request failed ({self.status})."
        return ApiProblem(self.status, detail, _field_errors(body.get("errors")), self.retry_after)

    def data(self) -> Any:
        """The JSON body of a successful answer; raises ApiProblem otherwise."""
        if not self.ok:
            raise self.problem()
        return self.body


class ApiClient:
    """Sends requests to each API (its own URL, else the gateway) over one thread-safe pool."""

    def __init__(
        self,
        base_url: str,
        connect_timeout: float,
        read_timeout: float,
        api_urls: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_urls = api_urls  # (prefix, url), longest prefix first
        self._pool = urllib3.PoolManager(
            num_pools=4,
            maxsize=16,
            retries=False,  # a POST must never be sent twice behind the user's back
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
        )

    def send(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str],
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> ApiResponse:
        """One request; 5xx answers and transport failures raise ApiUnavailable."""
        url = self.base_for(path) + path
        query = {key: value for key, value in (params or {}).items() if value}
        if query:
            url += "?" + urlencode(query)
        all_headers = {"Accept": "application/json", **headers}
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers["Content-Type"] = "application/json"
        try:
            response = self._pool.request(method, url, body=body, headers=all_headers)
        except HTTPError as exc:
            log.warning("%s %s failed: %r", method, path, exc)
            raise ApiUnavailable("The service could not be reached.") from exc
        if response.status >= 500:
            log.warning("%s %s answered %s", method, path, response.status)
            raise ApiUnavailable(
                "The service is not available right now.",
                response.status,
                retry_after=header_int(response.headers.get("Retry-After")),
                queue_position=header_int(response.headers.get("Queue-Position")),
            )
        return ApiResponse(
            status=response.status,
            body=_json_body(response),
            set_cookies=tuple(response.headers.getlist("Set-Cookie")),
            retry_after=response.headers.get("Retry-After"),
        )

    def close(self) -> None:
        self._pool.clear()

    def base_for(self, path: str) -> str:
        """The API's own URL for `path`, else the gateway's."""
        for prefix, url in self.api_urls:
            if path == prefix or path.startswith(prefix + "/"):
                return url
        return self.base_url


def _json_body(response: urllib3.BaseHTTPResponse) -> Any:
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if content_type not in JSON_TYPES or not response.data:
        return None
    try:
        return json.loads(response.data)
    except ValueError:
        return None
