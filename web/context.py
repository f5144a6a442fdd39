"""Per-request glue: the request id, the user's API session and the cookies it sends back."""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, redirect, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from common.http.requests import REQUEST_ID_HEADER
from common.logging import request_id_var
from web.client import ApiClient, ApiUnavailable
from web.session import ApiSession

F = TypeVar("F", bound=Callable[..., Any])
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def api() -> ApiSession:
    """The API session of the request in hand, created on first use."""
    if "api" not in g:
        client: ApiClient = current_app.extensions["api_client"]
        g.api = ApiSession(
            client,
            request.cookies,
            request_id=g.get("request_id"),
            client_address=request.remote_addr,
        )
    return g.api  # type: ignore[no-any-return]  # flask.g holds Any


def current_user() -> dict[str, Any] | None:
    """The signed-in user, or None (also when auth cannot be reached)."""
    try:
        return api().current_user()
    except ApiUnavailable:
        return None


def safe_next(target: str | None, default: str = "/") -> str:
    """A same-site path to go back to, never another site (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return default  # CR/LF would split the Location header; other controls are no path
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def signin_redirect() -> WerkzeugResponse:
    """Send the visitor to the sign-in page, to come back here afterwards."""
    back = request.full_path.rstrip("?") if request.method == "GET" else request.referrer
    path = urlsplit(back).path if back and back.startswith("http") else back
    return redirect(url_for("auth.signin", next=safe_next(path, "/")))


def signin_required(view: F) -> F:
    """Pages for signed-in users only: others are asked to sign in first."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return signin_redirect()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]  # wraps keeps the view's signature


def _bind_request_id() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.request_id = request_id
    request_id_var.set(request_id)


def _relay_cookies(response: Response) -> Response:
    """Hand the browser the cookies the APIs set (sign-in, refresh, sign-out) in order."""
    session: ApiSession | None = g.get("api")
    if session is not None:
        for header in session.set_cookies:
            response.headers.add("Set-Cookie", header)
        if session.set_cookies:
            response.headers["Cache-Control"] = "no-store"
    request_id = g.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response


def install_context(app: Flask, client: ApiClient) -> None:
    """Request ids, the API client and cookie relaying for every request."""
    app.extensions["api_client"] = client
    app.before_request(_bind_request_id)
    app.after_request(_relay_cookies)
    app.context_processor(lambda: {"current_user": current_user()})
