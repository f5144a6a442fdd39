"""Settings of the payments service beyond the shared ones: Stripe and the saga's timings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from common.config import Env, ServiceSettings
from common.errors import ConfigurationError

STANDIN_API_KEY = "sk_test_standin"
STANDIN_API_BASE = "http://127.0.0.1:12111"
STANDIN_WEBHOOK_SECRET = "whsec_standin"  # noqa: S105 - the local stand-in's, refused in production


def _positive(name: str, value: float) -> float:
    if value <= 0:
        raise ConfigurationError(f"{name} must be positive")
    return value


@dataclass(frozen=True)
class StripeSettings:
    """How to reach Stripe (or the local stand-in) and how webhooks are signed."""

    api_key: str
    api_base: str | None
    webhook_secret: str
    timeout_seconds: float = 20.0
    max_network_retries: int = 1

    @property
    def standin(self) -> bool:
        """Whether these settings point at the local stand-in rather than Stripe."""
        return self.api_key.startswith(STANDIN_API_KEY)

    @classmethod
    def from_env(cls, env: Env, *, production: bool) -> StripeSettings:
        api_key = env.secret("STRIPE_API_KEY") or (None if production else STANDIN_API_KEY)
        if api_key is None:
            raise ConfigurationError("STRIPE_API_KEY is required in production")
        secret = env.secret("STRIPE_WEBHOOK_SECRET") or (
            None if production else STANDIN_WEBHOOK_SECRET
        )
        if secret is None:
            raise ConfigurationError("STRIPE_WEBHOOK_SECRET is required in production")
        default_base = STANDIN_API_BASE if api_key.startswith(STANDIN_API_KEY) else None
        settings = cls(
            api_key=api_key.strip(),
            api_base=env.optional("STRIPE_API_BASE") or (None if production else default_base),
            webhook_secret=secret.strip(),
            timeout_seconds=_positive(
                "STRIPE_TIMEOUT_SECONDS", float(env.int("STRIPE_TIMEOUT_SECONDS", 20))
            ),
            max_network_retries=env.int("STRIPE_MAX_NETWORK_RETRIES", 1),
        )
        if settings.max_network_retries < 0:
            raise ConfigurationError("STRIPE_MAX_NETWORK_RETRIES must not be negative")
        return settings

    def production_problems(self) -> list[str]:
        """What makes these settings unfit for production."""
        problems = []
        if self.standin:
            problems.append("STRIPE_API_KEY is the local stand-in's key")
        if self.webhook_secret == STANDIN_WEBHOOK_SECRET:
            problems.append("STRIPE_WEBHOOK_SECRET is the local stand-in's secret")
        return problems


@dataclass(frozen=True)
class PaymentsSettings:
    """The shared settings, Stripe, and how long the saga's payment steps wait."""

    service: ServiceSettings
    stripe: StripeSettings
    # How long after the first request for an order the replica has not received the order may
    # still arrive: until then such requests get 409 + Retry-After at once, then 404.
    order_wait_seconds: float = 2.0
    # How often the reconciler looks for lost charges and refunds, and when one counts as lost.
    reconcile_interval_seconds: float = 5.0
    stuck_after_seconds: float = 60.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PaymentsSettings:
        env = Env(environ)
        service = ServiceSettings.from_env("payments", environ)
        stripe = StripeSettings.from_env(env, production=service.production)
        if service.production and stripe.production_problems():
            raise ConfigurationError(
                "refusing to start in production: " + "; ".join(stripe.production_problems())
            )
        wait_ms = env.int("PAYMENTS_ORDER_WAIT_MS", 2000)
        if wait_ms < 0:
            raise ConfigurationError("PAYMENTS_ORDER_WAIT_MS must not be negative")
        return cls(
            service=service,
            stripe=stripe,
            order_wait_seconds=wait_ms / 1000,
            reconcile_interval_seconds=_positive(
                "PAYMENTS_RECONCILE_INTERVAL_MS",
                env.int("PAYMENTS_RECONCILE_INTERVAL_MS", 5000) / 1000,
            ),
            stuck_after_seconds=_positive(
                "PAYMENTS_STUCK_AFTER_SECONDS", float(env.int("PAYMENTS_STUCK_AFTER_SECONDS", 60))
            ),
        )
