"""Response rules every app applies: relative redirects, and HSTS where HTTPS is in use."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Response, request

HSTS = "max-age=31536000; includeSubDomains"
_LEADING_SLASHES = re.compile(r"^/{2,}")


def relative_location(location: str) -> str:
    """The same place as a path on this site: never another host's (Host is client-chosen)."""
    parts = urlsplit(location)
    if not parts.scheme and not parts.netloc and not location.startswith("//"):
        return location
    # "//evil.example/x" is another host too: a path must start with exactly one slash.
    path = _LEADING_SLASHES.sub("/", parts.path) or "/"
    return urlunsplit(("", "", path, parts.query, parts.fragment))


def install_response_rules(app: Flask, production: bool) -> None:
    """Make every redirect relative (werkzeug's slash redirects are absolute); add HSTS."""

    def apply(response: Response) -> Response:
        location = response.headers.get("Location")
        if location:
            response.headers["Location"] = relative_location(location)
        if production or request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    app.after_request(apply)
