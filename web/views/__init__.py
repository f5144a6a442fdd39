"""The web pages, one blueprint per area."""

from __future__ import annotations

from flask import Flask

from web.views import (
    api_keys,
    auth,
    developers,
    ops,
    orders,
    payments,
    tickets,
    waiting_room,
    webhooks,
)


def register_views(app: Flask) -> None:
    """Attach every area's pages to the app."""
    for blueprint in (
        auth.bp,
        tickets.bp,
        orders.bp,
        payments.bp,
        waiting_room.bp,
        developers.bp,
        webhooks.bp,
        api_keys.bp,
        ops.bp,
    ):
        app.register_blueprint(blueprint)
