"""Settings read from the environment, shared by every service (twelve-factor)."""

from __future__ import annotations

import builtins
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from common.errors import ConfigurationError
from common.http.admission_settings import AdmissionSettings

DEV_KEY_MARKER = "ticketing development key"
DEV_JWT_SECRET = "ticketing-development-secret-never-use-in-production"  # noqa: S105 (the development default, refused in production)
DEV_SECRET_KEY = "ticketing-development-secret-key"  # noqa: S105 (the development default, refused in production)
SESSION_SERVICES = frozenset({"web"})
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/ticketing"


def _bool(value: str) -> bool:
    normalised = value.strip().lower()
    if normalised in {"1", "true", "yes", "on"}:
        return True
    if normalised in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigurationError(f"not a boolean: {value!r}")


def normalise_database_url(url: str) -> str:
    """Point any PostgreSQL URL at the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Env:
    """Typed access to environment variables, with defaults."""

    def __init__(self, environ: Mapping[builtins.str, builtins.str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def str(self, name: builtins.str, default: builtins.str) -> builtins.str:
        return self._environ.get(name, default)

    def optional(self, name: builtins.str) -> builtins.str | None:
        value = self._environ.get(name)
        return value if value else None

    def int(self, name: builtins.str, default: builtins.int) -> builtins.int:
        raw = self._environ.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError as exc:
            raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from exc

    def bool(self, name: builtins.str, default: builtins.bool) -> builtins.bool:
        raw = self._environ.get(name)
        if raw is None:
            return default
        try:
            return _bool(raw)
        except ConfigurationError as exc:
            raise ConfigurationError(f"{name}: {exc}") from exc

    def secret(self, name: builtins.str) -> builtins.str | None:
        """A value given inline (NAME) or in a file (NAME_FILE)."""
        inline = self.optional(name)
        if inline:
            return inline.replace("\\n", "\n")
        path = self.optional(f"{name}_FILE")
        if path:
            try:
                return Path(path).read_text()
            except OSError as exc:
                raise ConfigurationError(f"{name}_FILE: cannot read {path}: {exc}") from exc
        return None


@dataclass(frozen=True)
class JwtSettings:
    """How tokens are signed (auth only) and verified (every service)."""

    algorithm: str = "HS256"
    secret: str | None = DEV_JWT_SECRET
    private_key: str | None = None
    public_key: str | None = None
    access_expires_seconds: int = 15 * 60
    refresh_expires_seconds: int = 14 * 24 * 3600
    cookie_secure: bool = False
    cookie_samesite: str = "Lax"
    issuer: str = "ticketing"

    @property
    def asymmetric(self) -> bool:
        return not self.algorithm.startswith("HS")

    @classmethod
    def from_env(cls, env: Env) -> JwtSettings:
        production = env.str("APP_ENV", "development") == "production"
        asymmetric_default = production or env.secret("JWT_PUBLIC_KEY") is not None
        algorithm = env.str("JWT_ALGORITHM", "RS256" if asymmetric_default else "HS256")
        if algorithm not in {"HS256", "RS256", "EdDSA", "ES256"}:
            raise ConfigurationError(f"JWT_ALGORITHM {algorithm!r} is not supported")
        settings = cls(
            algorithm=algorithm,
            secret=env.secret("JWT_SECRET") or (DEV_JWT_SECRET if algorithm == "HS256" else None),
            private_key=env.secret("JWT_PRIVATE_KEY"),
            public_key=env.secret("JWT_PUBLIC_KEY"),
            access_expires_seconds=env.int("JWT_ACCESS_EXPIRES_SECONDS", 15 * 60),
            refresh_expires_seconds=env.int("JWT_REFRESH_EXPIRES_SECONDS", 14 * 24 * 3600),
            cookie_secure=env.bool("JWT_COOKIE_SECURE", production),
            cookie_samesite=env.str("JWT_COOKIE_SAMESITE", "Lax"),
        )
        if settings.asymmetric and not settings.public_key:
            raise ConfigurationError(f"JWT_ALGORITHM={algorithm} needs JWT_PUBLIC_KEY(_FILE)")
        return settings

    def production_problems(self) -> list[str]:
        """What makes these settings unfit for production."""
        problems = []
        if not self.asymmetric and (self.secret == DEV_JWT_SECRET or len(self.secret or "") < 32):
            problems.append("JWT_SECRET is the development secret or shorter than 32 characters")
        for name, key in (
            ("JWT_PRIVATE_KEY", self.private_key),
            ("JWT_PUBLIC_KEY", self.public_key),
        ):
            if key and DEV_KEY_MARKER in key:
                problems.append(f"{name} is a development key")
        if not self.cookie_secure:
            problems.append("JWT_COOKIE_SECURE is off")
        if self.cookie_samesite.lower() == "none" and not self.cookie_secure:
            problems.append("SameSite=None cookies must be Secure")
        return problems


LOOPBACK = "127.0.0.0/8,::1/128"


def _networks(name: str, value: str) -> str:
    """A comma-separated list of addresses or CIDR blocks, checked now rather than per request."""
    for item in value.split(","):
        if item.strip():
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError as exc:
                raise ConfigurationError(
                    f"{name} must list addresses or CIDR blocks (e.g. 10.0.0.0/8): {item!r}"
                ) from exc
    return value


@dataclass(frozen=True)
class ServiceSettings:
    """Everything an HTTP service or worker of this platform reads from the environment."""

    service: str
    app_env: str = "development"
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str = "redis://127.0.0.1:6379/0"
    nats_url: str = "nats://127.0.0.1:4222"
    secret_key: str = DEV_SECRET_KEY
    jwt: JwtSettings = field(default_factory=JwtSettings)
    max_body_bytes: int = 1024 * 1024
    log_level: str = "INFO"
    # Addresses/CIDR blocks of the proxies whose X-Forwarded-* are believed (loopback locally).
    trusted_proxies: str = LOOPBACK
    order_expiration_seconds: int = 900
    admission: AdmissionSettings = field(default_factory=AdmissionSettings)

    @property
    def production(self) -> bool:
        return self.app_env == "production"

    @classmethod
    def from_env(cls, service: str, environ: Mapping[str, str] | None = None) -> ServiceSettings:
        env = Env(environ)
        settings = cls(
            service=service,
            app_env=env.str("APP_ENV", "development"),
            database_url=normalise_database_url(env.str("DATABASE_URL", DEFAULT_DATABASE_URL)),
            redis_url=env.str("REDIS_URL", "redis://127.0.0.1:6379/0"),
            nats_url=env.str("NATS_URL", "nats://127.0.0.1:4222"),
            secret_key=env.secret("SECRET_KEY") or DEV_SECRET_KEY,
            jwt=JwtSettings.from_env(env),
            max_body_bytes=env.int("MAX_BODY_BYTES", 1024 * 1024),
            log_level=env.str("LOG_LEVEL", "INFO").upper(),
            trusted_proxies=_networks("TRUSTED_PROXIES", env.str("TRUSTED_PROXIES", LOOPBACK)),
            order_expiration_seconds=env.int("ORDER_EXPIRATION_SECONDS", 900),
            admission=AdmissionSettings.from_env(os.environ if environ is None else environ),
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse to run in production with development secrets or insecure cookies."""
        if self.app_env not in {"development", "test", "production"}:
            raise ConfigurationError(
                f"APP_ENV must be development, test or production: {self.app_env!r}"
            )
        if not self.production:
            return
        problems = self.jwt.production_problems()
        # Only the web keeps a signed session; the chart mounts SECRET_KEY nowhere else.
        if self.service in SESSION_SERVICES and self.secret_key == DEV_SECRET_KEY:
            problems.append("SECRET_KEY is the development secret")
        if problems:
            raise ConfigurationError("refusing to start in production: " + "; ".join(problems))
