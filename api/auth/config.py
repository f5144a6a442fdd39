"""Settings of the auth service beyond the shared ones."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from common.config import Env, ServiceSettings
from common.errors import ConfigurationError


@dataclass(frozen=True)
class AuthSettings:
    """Password hashing cost and sign-in rate limits."""

    service: ServiceSettings
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 64 * 1024
    argon2_parallelism: int = 4
    signin_ip_limit: int = 30
    signin_ip_window_seconds: int = 60
    signin_email_failures: int = 5
    signin_email_window_seconds: int = 15 * 60
    # A refresh token presented again this soon after its rotation is a second tab or a
    # retried request racing the first, not a theft: it gets a successor of its own.
    refresh_reuse_grace_seconds: int = 10

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AuthSettings:
        env = Env(environ)
        service = ServiceSettings.from_env("auth", environ)
        if service.jwt.asymmetric and not service.jwt.private_key:
            raise ConfigurationError("the auth service signs tokens: set JWT_PRIVATE_KEY(_FILE)")
        return cls(
            service=service,
            argon2_time_cost=env.int("ARGON2_TIME_COST", 3),
            argon2_memory_kib=env.int("ARGON2_MEMORY_KIB", 64 * 1024),
            argon2_parallelism=env.int("ARGON2_PARALLELISM", 4),
            signin_ip_limit=env.int("SIGNIN_IP_LIMIT", 30),
            signin_ip_window_seconds=env.int("SIGNIN_IP_WINDOW_SECONDS", 60),
            signin_email_failures=env.int("SIGNIN_EMAIL_FAILURES", 5),
            signin_email_window_seconds=env.int("SIGNIN_EMAIL_WINDOW_SECONDS", 15 * 60),
            refresh_reuse_grace_seconds=_grace(env.int("REFRESH_REUSE_GRACE_SECONDS", 10)),
        )


def _grace(seconds: int) -> int:
    if not 0 <= seconds <= 60:
        raise ConfigurationError("REFRESH_REUSE_GRACE_SECONDS must be between 0 and 60")
    return seconds
