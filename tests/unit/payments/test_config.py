"""Payments settings: safe local defaults, and a refusal to run production on the stand-in."""

from __future__ import annotations

import pytest

from api.payments.config import STANDIN_API_BASE, PaymentsSettings
from common.errors import ConfigurationError

PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "JWT_ALGORITHM": "HS256",
    "JWT_SECRET": "j" * 40,
    "JWT_COOKIE_SECURE": "true",
}


def test_development_talks_to_the_local_stand_in_by_default() -> None:
    settings = PaymentsSettings.from_env({"APP_ENV": "development"})

    assert settings.stripe.api_key == "sk_test_standin"
    assert settings.stripe.api_base == STANDIN_API_BASE
    assert settings.stripe.webhook_secret == "whsec_standin"
    assert settings.order_wait_seconds == 2.0
    assert settings.stuck_after_seconds == 60.0


def test_a_real_test_key_talks_to_stripe_itself() -> None:
    settings = PaymentsSettings.from_env({"STRIPE_API_KEY": "sk_test_51Real"})

    assert settings.stripe.api_base is None


def test_production_with_real_keys_starts() -> None:
    settings = PaymentsSettings.from_env(
        {**PRODUCTION, "STRIPE_API_KEY": "sk_live_x", "STRIPE_WEBHOOK_SECRET": "whsec_live"}
    )

    assert (settings.stripe.api_base, settings.stripe.standin) == (None, False)


@pytest.mark.parametrize(
    ("stripe", "problem"),
    [
        ({}, "STRIPE_API_KEY is required"),
        ({"STRIPE_API_KEY": "sk_live_x"}, "STRIPE_WEBHOOK_SECRET is required"),
        (
            {"STRIPE_API_KEY": "sk_test_standin", "STRIPE_WEBHOOK_SECRET": "whsec_live"},
            "stand-in's key",
        ),
        (
            {"STRIPE_API_KEY": "sk_live_x", "STRIPE_WEBHOOK_SECRET": "whsec_standin"},
            "stand-in's secret",
        ),
    ],
)
def test_production_refuses_to_start_without_real_stripe_credentials(
    stripe: dict[str, str], problem: str
) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        PaymentsSettings.from_env({**PRODUCTION, **stripe})


@pytest.mark.parametrize(
    "variable",
    [
        {"PAYMENTS_ORDER_WAIT_MS": "-1"},
        {"PAYMENTS_RECONCILE_INTERVAL_MS": "0"},
        {"PAYMENTS_STUCK_AFTER_SECONDS": "0"},
        {"STRIPE_MAX_NETWORK_RETRIES": "-1"},
        {"STRIPE_TIMEOUT_SECONDS": "zero"},
    ],
)
def test_nonsense_timings_are_refused(variable: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError):
        PaymentsSettings.from_env(variable)
