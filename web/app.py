"""App factory of the web front-end: server-rendered pages calling the APIs via the gateway."""

from __future__ import annotations

from flask import Flask

from common.http.health import install_health
from common.http.metrics import HttpMetrics
from common.http.proxies import TrustedProxies, parse_networks
from common.http.responses import install_response_rules
from common.logging import configure_logging
from web.client import ApiClient
from web.config import WebSettings
from web.context import install_context
from web.errors import install_error_pages
from web.formatting import install_filters
from web.forms import check_csrf, csrf_token
from web.headers import install_security_headers
from web.operations import guard_operations
from web.views import register_views

SESSION_COOKIE = "web_session"


def create_app(settings: WebSettings | None = None) -> Flask:
    """Build the web app from the environment (or the given settings)."""
    settings = settings or WebSettings.from_env()
    base = settings.service
    configure_logging(base.service, base.log_level)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=base.secret_key,
        MAX_CONTENT_LENGTH=base.max_body_bytes,
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=base.jwt.cookie_secure,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.wsgi_app = TrustedProxies(  # type: ignore[method-assign]
        app.wsgi_app, parse_networks(base.trusted_proxies)
    )
    app.extensions["web_settings"] = settings
    client = ApiClient(
        settings.gateway_url,
        connect_timeout=settings.api_connect_timeout_seconds,
        read_timeout=settings.api_read_timeout_seconds,
        api_urls=settings.api_urls,
    )
    install_context(app, client)
    app.before_request(check_csrf)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    install_filters(app)
    guard_operations(app)
    HttpMetrics(base.service).install(app)
    install_health(app, {})
    install_error_pages(app)
    install_security_headers(app)
    install_response_rules(app, base.production)
    register_views(app)
    return app
