"""What `make up` reads from the environment, with the defaults of a developer machine."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from devstack.services import DEFAULT_PORT_BASE

PROJECT_ROOT = Path(__file__).resolve().parents[1]
GATEWAY_KINDS = ("auto", "nginx", "python")


class LocalStackError(Exception):
    """The local stack cannot start; the message says why and what to do."""


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name) or str(default)
    try:
        return int(raw)
    except ValueError as exc:
        raise LocalStackError(f"{name} must be an integer, got {raw!r}") from exc


@dataclass(frozen=True)
class LocalSettings:
    """Ports, folders and the infrastructure URLs given by the developer (if any)."""

    project_root: Path
    run_dir: Path  # TICKETING_RUN_DIR (.run): data, keys, Procfile, rendered nginx.conf
    gateway_port: int  # PORT (8080)
    service_port_base: int  # TICKETING_SERVICE_PORT_BASE (8100): web, auth +1, tickets +2...
    database_url: str | None  # DATABASE_URL: a PostgreSQL server to use instead of ours
    redis_url: str | None  # REDIS_URL
    nats_url: str | None  # NATS_URL
    postgres_port: int  # LOCAL_PG_PORT (15432) of the embedded PostgreSQL
    redis_port: int  # LOCAL_REDIS_PORT (16379)
    nats_port: int  # LOCAL_NATS_PORT (14222)
    database_prefix: str  # TICKETING_DB_PREFIX (ticketing_): databases are PREFIX<service>
    gateway: str  # TICKETING_GATEWAY: auto (NGINX if installed), nginx or python
    log_level: str  # LOG_LEVEL (INFO), passed to every process
    order_expiration_seconds: str  # ORDER_EXPIRATION_SECONDS (900), passed through
    ready_timeout_seconds: int  # TICKETING_READY_TIMEOUT (90): give up if not answering by then
    stripe_standin: bool  # no real STRIPE_API_KEY given: run the local Stripe stand-in
    python: str = sys.executable

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> LocalSettings:
        """Read PORT, TICKETING_*, LOCAL_*_PORT and the *_URL overrides."""
        run_dir = Path(environ.get("TICKETING_RUN_DIR") or PROJECT_ROOT / ".run")
        gateway = environ.get("TICKETING_GATEWAY", "auto")
        if gateway not in GATEWAY_KINDS:
            raise LocalStackError(f"TICKETING_GATEWAY must be one of {GATEWAY_KINDS}: {gateway!r}")
        return cls(
            project_root=PROJECT_ROOT,
            run_dir=run_dir.resolve(),
            gateway_port=_int(environ, "PORT", 8080),
            service_port_base=_int(environ, "TICKETING_SERVICE_PORT_BASE", DEFAULT_PORT_BASE),
            database_url=environ.get("DATABASE_URL") or None,
            redis_url=environ.get("REDIS_URL") or None,
            nats_url=environ.get("NATS_URL") or None,
            postgres_port=_int(environ, "LOCAL_PG_PORT", 15432),
            redis_port=_int(environ, "LOCAL_REDIS_PORT", 16379),
            nats_port=_int(environ, "LOCAL_NATS_PORT", 14222),
            database_prefix=environ.get("TICKETING_DB_PREFIX", "ticketing_"),
            gateway=gateway,
            log_level=environ.get("LOG_LEVEL", "INFO"),
            order_expiration_seconds=environ.get("ORDER_EXPIRATION_SECONDS", "900"),
            ready_timeout_seconds=_int(environ, "TICKETING_READY_TIMEOUT", 90),
            stripe_standin=not environ.get("STRIPE_API_KEY", "").startswith(
                ("sk_test_", "sk_live_")
            )
            or environ.get("STRIPE_API_KEY", "").startswith("sk_test_standin"),
        )

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"
