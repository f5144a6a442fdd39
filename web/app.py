"""App factory of the web front-end (a skeleton until the pages land)."""

from __future__ import annotations

from flask import Flask, render_template

from common.config import ServiceSettings
from common.http.health import install_health
from common.http.metrics import HttpMetrics
from common.http.requests import install_request_hooks
from common.logging import configure_logging


def create_app(settings: ServiceSettings | None = None) -> Flask:
    """Build the web app from the environment (or the given settings)."""
    settings = settings or ServiceSettings.from_env("web")
    configure_logging(settings.service, settings.log_level)
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=settings.max_body_bytes)
    install_request_hooks(app)
    HttpMetrics(settings.service).install(app)
    install_health(app, {})

    @app.get("/")
    def home() -> str:
        return render_template("home.html")

    return app
