"""A probe service for the admission tests, run by gunicorn from the test module."""

from __future__ import annotations

import time

from flask import Flask
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.exc import TimeoutError as PoolTimeout

from common.config import ServiceSettings
from common.http.app import create_service_app

WORK_SECONDS = 0.4


def create_app(settings: ServiceSettings | None = None) -> Flask:
    """The platform's service kernel with a route that works for WORK_SECONDS."""
    app, api = create_service_app(
        settings or ServiceSettings.from_env("probe"),
        title="probe",
        prefix="/api/probe",
        description="",
        checks={},
    )
    blp = Blueprint("probe", __name__, url_prefix="/api/probe")

    @blp.route("/work")
    class Work(MethodView):
        def get(self) -> dict[str, str]:
            time.sleep(WORK_SECONDS)
            return {"done": "yes"}

    @blp.route("/pool")
    class Pool(MethodView):
        def get(self) -> None:
            raise PoolTimeout("QueuePool limit of size 10 overflow 20 reached")

    api.register_blueprint(blp)
    return app
