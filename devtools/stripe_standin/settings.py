"""The stand-in's settings, from flags or the environment."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from devtools.stripe_standin.engine import DEFAULT_API_VERSION
from devtools.stripe_standin.webhooks import WebhookSettings

DEFAULT_PORT = 12111


@dataclass(frozen=True)
class StandinSettings:
    """Where to listen, which API key to accept, and how to deliver webhooks."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    api_key: str | None = None
    api_version: str = DEFAULT_API_VERSION
    webhook: WebhookSettings = field(default_factory=WebhookSettings)

    @classmethod
    def from_args(
        cls, argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
    ) -> StandinSettings:
        """Flags win over the environment, which wins over the defaults."""
        env = os.environ if environ is None else environ
        parser = argparse.ArgumentParser(
            prog="python -m devtools.stripe_standin",
            description="A local Stripe stand-in for PaymentIntents, refunds and webhooks.",
        )
        parser.add_argument("--host", default=env.get("STRIPE_STANDIN_HOST", "127.0.0.1"))
        parser.add_argument(
            "--port", type=int, default=int(env.get("STRIPE_STANDIN_PORT", DEFAULT_PORT))
        )
        parser.add_argument(
            "--api-key",
            default=env.get("STRIPE_STANDIN_API_KEY"),
            help="accept only this secret key (default: any sk_test_/rk_test_ key)",
        )
        parser.add_argument("--webhook-url", default=env.get("STRIPE_WEBHOOK_URL"))
        parser.add_argument("--webhook-secret", default=env.get("STRIPE_WEBHOOK_SECRET"))
        parser.add_argument(
            "--webhook-duplicates",
            type=int,
            default=int(env.get("STRIPE_WEBHOOK_DUPLICATES", 0)),
            help="extra copies of every event (1 delivers each event twice)",
        )
        parser.add_argument(
            "--webhook-delay-ms", type=int, default=int(env.get("STRIPE_WEBHOOK_DELAY_MS", 0))
        )
        parser.add_argument(
            "--webhook-retries",
            type=int,
            default=int(env.get("STRIPE_WEBHOOK_RETRIES", 3)),
            help="retries after a failed delivery (non-2xx or connection error)",
        )
        parser.add_argument(
            "--webhook-backoff-ms",
            type=int,
            default=int(env.get("STRIPE_WEBHOOK_BACKOFF_MS", 500)),
            help="first retry delay; it doubles on each further retry",
        )
        args = parser.parse_args(argv)
        try:
            webhook = WebhookSettings(
                url=args.webhook_url or None,
                secret=args.webhook_secret or None,
                duplicates=args.webhook_duplicates,
                delay_ms=args.webhook_delay_ms,
                retries=args.webhook_retries,
                backoff_ms=args.webhook_backoff_ms,
            ).validated()
        except ValueError as exc:
            parser.error(str(exc))
        return cls(host=args.host, port=args.port, api_key=args.api_key or None, webhook=webhook)
