"""For integrators: the platform's combined OpenAPI document and its Swagger UI."""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import Blueprint, Response, current_app, json, render_template

from common.http.combined_spec import SERVICE_SPEC_PATHS, SpecConflict, combine
from common.http.docs import SWAGGER_UI_FOLDER
from web.client import ApiClient, ApiUnavailable

bp = Blueprint(
    "developers",
    __name__,
    static_folder=str(SWAGGER_UI_FOLDER),
    static_url_path="/developers/docs/assets",
)
CACHE_SECONDS = 60.0
# Swagger UI sets inline styles; everything it loads is still our own.
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


def combined_document(client: ApiClient) -> dict[str, Any]:
    """The services' documents merged; fetched through the gateway, kept a minute."""
    with _lock:
        cached = _cache.get(client.base_url)
        if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
    documents = []
    for path in SERVICE_SPEC_PATHS:
        response = client.send("GET", path, headers={})
        if response.status == 404:
            continue  # a service this deployment does not run
        documents.append(response.data())
    document = combine(documents)
    with _lock:
        _cache[client.base_url] = (time.monotonic(), document)
    return document


@bp.get("/developers")
def index() -> str:
    """Where integrators start: the documents and the guide in five lines."""
    return render_template("developers/index.html", services=SERVICE_SPEC_PATHS)


@bp.get("/developers/openapi.json")
def openapi_json() -> Response:
    """The combined OpenAPI 3.1 document of the platform."""
    client: ApiClient = current_app.extensions["api_client"]
    try:
        document = combined_document(client)
    except (ApiUnavailable, SpecConflict) as exc:
        body = {
            "type": "about:blank",
            "title": "Service Unavailable",
            "status": 503,
            "detail": "A service's API document could not be read; try again shortly.",
            "errors": [{"message": str(exc), "field": None}],
        }
        return Response(json.dumps(body), 503, mimetype="application/problem+json")
    return Response(json.dumps(document, indent=2), mimetype="application/json")


@bp.get("/developers/docs")
def docs() -> Response:
    """Swagger UI (vendored, no CDN) on the combined document."""
    response = Response(render_template("developers/docs.html"))
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response
