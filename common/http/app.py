"""The factory every HTTP service builds on: config, errors, hooks, health, metrics, docs."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from common.config import ServiceSettings
from common.http.docs import install_swagger_assets, openapi_config
from common.http.health import Check, install_health
from common.http.metrics import HttpMetrics
from common.http.problems import ProblemApi
from common.http.requests import install_request_hooks
from common.logging import configure_logging


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    prefix: str,
    description: str,
    checks: Mapping[str, Check],
) -> tuple[Flask, ProblemApi]:
    """A Flask app with the platform's conventions; the service registers its blueprints."""
    configure_logging(settings.service, settings.log_level)
    app = Flask(settings.service)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        TESTING=settings.app_env == "test",
        **openapi_config(title, prefix, description),
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]  # Flask types app.json as the base provider
    app.extensions["settings"] = settings
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Werkzeug's documented way to wrap wsgi_app
            app.wsgi_app,
            x_for=settings.trusted_proxies,
            x_proto=settings.trusted_proxies,
            x_host=settings.trusted_proxies,
        )
    install_request_hooks(app)
    HttpMetrics(settings.service).install(app)
    install_health(app, checks)
    install_swagger_assets(app, prefix)
    api = ProblemApi(app)
    return app, api
