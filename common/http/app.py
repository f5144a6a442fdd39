"""The factory every HTTP service builds on: config, errors, hooks, health, metrics, docs."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from common.config import SESSION_SERVICES, ServiceSettings
from common.http.admission import install_admission
from common.http.docs import install_swagger_assets, openapi_config
from common.http.health import Check, install_health
from common.http.metrics import HttpMetrics
from common.http.problems import ProblemApi
from common.http.proxies import TrustedProxies, parse_networks
from common.http.requests import install_request_hooks
from common.http.responses import install_response_rules
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
        # The APIs keep no signed session: no key (above all not the development one).
        SECRET_KEY=settings.secret_key if settings.service in SESSION_SERVICES else None,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        TESTING=settings.app_env == "test",
        **openapi_config(title, prefix, description),
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]  # Flask types app.json as the base provider
    app.extensions["settings"] = settings
    app.wsgi_app = TrustedProxies(  # type: ignore[method-assign]
        app.wsgi_app, parse_networks(settings.trusted_proxies)
    )
    install_request_hooks(app)
    install_response_rules(app, settings.production)
    HttpMetrics(settings.service).install(app)
    install_admission(app, settings.admission, settings.service)
    install_health(app, checks)
    install_swagger_assets(app, prefix)
    api = ProblemApi(app)
    return app, api
