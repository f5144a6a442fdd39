"""Operators' endpoints of the tickets service: its dead letters and backlog (api.ops)."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from api.ops.backbone_views import backbone_blueprint
from api.ops.context import OpsContext
from api.tickets.models import OUTBOX
from common.config import ServiceSettings
from common.db import Database


def install_ops(app: Flask, api: Api, settings: ServiceSettings, db: Database) -> None:
    """/api/tickets/ops/dead-letters and /api/tickets/ops/backlog, operators only."""
    app.extensions["ops"] = OpsContext.from_env(settings, db, OUTBOX)
    api.register_blueprint(backbone_blueprint("tickets", "/api/tickets"))
