"""Configuration comes from the environment; production refuses development secrets."""

from __future__ import annotations

import pytest

from common.config import DEV_KEY_MARKER, ServiceSettings
from common.errors import ConfigurationError


def test_development_defaults_need_no_configuration() -> None:
    settings = ServiceSettings.from_env("tickets", {})
    assert settings.jwt.algorithm == "HS256"
    assert settings.order_expiration_seconds == 900
    assert not settings.production


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ConfigurationError, match="JWT_SECRET"):
        ServiceSettings.from_env(
            "tickets", {"APP_ENV": "production", "JWT_ALGORITHM": "HS256", "SECRET_KEY": "x" * 40}
        )


def test_production_defaults_to_asymmetric_keys_and_needs_one() -> None:
    with pytest.raises(ConfigurationError, match="JWT_PUBLIC_KEY"):
        ServiceSettings.from_env("tickets", {"APP_ENV": "production", "SECRET_KEY": "x" * 40})


def test_production_refuses_development_keys(rsa_keys: dict[str, str]) -> None:
    dev_key = f"{DEV_KEY_MARKER}: never use in production\n{rsa_keys['public']}"
    with pytest.raises(ConfigurationError, match="development key"):
        ServiceSettings.from_env(
            "tickets", {"APP_ENV": "production", "SECRET_KEY": "x" * 40, "JWT_PUBLIC_KEY": dev_key}
        )


def test_production_refuses_insecure_cookies(rsa_keys: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="JWT_COOKIE_SECURE"):
        ServiceSettings.from_env(
            "tickets",
            {
                "APP_ENV": "production",
                "SECRET_KEY": "x" * 40,
                "JWT_PUBLIC_KEY": rsa_keys["public"],
                "JWT_COOKIE_SECURE": "false",
            },
        )


def test_production_starts_with_real_keys_and_secure_cookies(rsa_keys: dict[str, str]) -> None:
    settings = ServiceSettings.from_env(
        "tickets",
        {"APP_ENV": "production", "SECRET_KEY": "x" * 40, "JWT_PUBLIC_KEY": rsa_keys["public"]},
    )
    assert settings.jwt.algorithm == "RS256"
    assert settings.jwt.cookie_secure


def test_keys_can_be_read_from_files(tmp_path, rsa_keys: dict[str, str]) -> None:  # type: ignore[no-untyped-def]  # a fixture without a stub type
    key_file = tmp_path / "public.pem"
    key_file.write_text(rsa_keys["public"])
    settings = ServiceSettings.from_env("tickets", {"JWT_PUBLIC_KEY_FILE": str(key_file)})
    assert settings.jwt.public_key == rsa_keys["public"]
    assert settings.jwt.algorithm == "RS256"


def test_bad_values_are_named(rsa_keys: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="ORDER_EXPIRATION_SECONDS"):
        ServiceSettings.from_env("orders", {"ORDER_EXPIRATION_SECONDS": "soon"})
    with pytest.raises(ConfigurationError, match="JWT_ALGORITHM"):
        ServiceSettings.from_env("orders", {"JWT_ALGORITHM": "none"})
