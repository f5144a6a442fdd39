"""The web's health and metrics are for probes and Prometheus on the pod, never the public."""

from __future__ import annotations

from flask import Flask, abort, request

# The gateway and the ingress do not route these paths to the web (deploy/gateway/routes.py,
# deploy/nginx, the chart's Ingress); a request that still arrives through a proxy (it
# carries X-Forwarded-For) is refused here as well.
OPERATIONS_PATHS = frozenset({"/metrics", "/healthz", "/readyz"})


def _refuse_forwarded() -> None:
    if request.path in OPERATIONS_PATHS and "X-Forwarded-For" in request.headers:
        abort(404)


def guard_operations(app: Flask) -> None:
    """Answer the operational endpoints only to direct callers."""
    app.before_request(_refuse_forwarded)
