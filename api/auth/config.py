"""Settings of the auth service beyond the shared ones."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from api.auth.ratelimit import SigninPolicy, SignupPolicy
from common.config import Env, ServiceSettings
from common.errors import ConfigurationError


@dataclass(frozen=True)
class AuthSettings:
    """Password hashing cost and sign-in rate limits."""

    service: ServiceSettings
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 64 * 1024
    argon2_parallelism: int = 4
    signin: SigninPolicy = field(default_factory=SigninPolicy)
    signup: SignupPolicy = field(default_factory=SignupPolicy)
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
            signin=_positive(
                SigninPolicy(
                    ip_limit=env.int("SIGNIN_IP_LIMIT", 30),
                    ip_window=env.int("SIGNIN_IP_WINDOW_SECONDS", 60),
                    free_failures=env.int("SIGNIN_FREE_FAILURES", 5),
                    failure_window=env.int("SIGNIN_FAILURE_WINDOW_SECONDS", 15 * 60),
                    delay_seconds=env.int("SIGNIN_DELAY_SECONDS", 2),
                    max_delay_seconds=env.int("SIGNIN_MAX_DELAY_SECONDS", 15 * 60),
                    account_alarm_failures=env.int("SIGNIN_ACCOUNT_ALARM_FAILURES", 50),
                )
            ),
            signup=_positive(
                SignupPolicy(
                    ip_limit=env.int("SIGNUP_IP_LIMIT", 20),
                    ip_window=env.int("SIGNUP_IP_WINDOW_SECONDS", 60 * 60),
                )
            ),
            refresh_reuse_grace_seconds=_grace(env.int("REFRESH_REUSE_GRACE_SECONDS", 10)),
        )


Policy = TypeVar("Policy", SigninPolicy, SignupPolicy)


def _positive(policy: Policy) -> Policy:
    """Every limit, window and delay must be at least 1."""
    for name, value in vars(policy).items():
        if value < 1:
            raise ConfigurationError(f"rate limit setting {name} must be at least 1, got {value}")
    return policy


def _grace(seconds: int) -> int:
    if not 0 <= seconds <= 60:
        raise ConfigurationError("REFRESH_REUSE_GRACE_SECONDS must be between 0 and 60")
    return seconds
