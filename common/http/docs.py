"""OpenAPI settings and offline Swagger UI assets (served by us, never from a CDN)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask

# swagger-ui-dist 5 (reads OpenAPI 3.1), vendored from npm: see swagger_ui/VERSION.
SWAGGER_UI_FOLDER = Path(__file__).with_name("swagger_ui")

BEARER_SCHEME = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
COOKIE_SCHEME = {
    "type": "apiKey",
    "in": "cookie",
    "name": "access_token_cookie",
    "description": "Browser sessions; unsafe methods also need the X-CSRF-Token header "
    "echoing the csrf_access_token cookie.",
}
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"cookieAuth": []}]


def openapi_config(title: str, prefix: str, description: str) -> dict[str, Any]:
    """flask-smorest settings: spec at PREFIX/openapi.json, Swagger UI at PREFIX/docs."""
    return {
        "API_TITLE": title,
        "API_VERSION": "1.0.0",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": prefix,
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": f"{prefix}/docs/assets/",
        "OPENAPI_SWAGGER_UI_CONFIG": {"deepLinking": True, "displayOperationId": True},
        "API_SPEC_OPTIONS": {
            "info": {"description": description},
            "components": {
                "securitySchemes": {"bearerAuth": BEARER_SCHEME, "cookieAuth": COOKIE_SCHEME}
            },
        },
    }


def install_swagger_assets(app: Flask, prefix: str) -> None:
    """Serve the vendored Swagger UI bundle from the package on disk (never a CDN)."""
    assets = Blueprint(
        "swagger_assets",
        __name__,
        static_folder=str(SWAGGER_UI_FOLDER),
        static_url_path=f"{prefix}/docs/assets",
    )
    app.register_blueprint(assets)
