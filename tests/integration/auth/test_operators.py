"""The operator role: granted and revoked from the command line only, carried in the token."""

from __future__ import annotations

import jwt
import pytest
from flask.testing import FlaskClient

from api.auth.operators import main
from tests.integration.auth.conftest import PASSWORD, signup


def access_claims(client: FlaskClient, email: str) -> dict[str, object]:
    response = client.post("/api/users/tokens", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.json
    return jwt.decode(response.json["accessToken"], options={"verify_signature": False})


def test_a_granted_user_gets_the_operator_claim_from_the_next_sign_in_until_revoked(
    client: FlaskClient, auth_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    signup(client, "ops@example.com")
    assert "roles" not in access_claims(client, "ops@example.com")

    assert main(["grant", "OPS@example.com"], auth_env) == 0
    assert "operator role granted to OPS@example.com" in capsys.readouterr().out
    assert access_claims(client, "ops@example.com")["roles"] == ["operator"]
    assert main(["grant", "ops@example.com"], auth_env) == 0
    assert "(no change)" in capsys.readouterr().out
    assert main(["list"], auth_env) == 0
    assert capsys.readouterr().out.startswith("ops@example.com\t")

    assert main(["revoke", "ops@example.com"], auth_env) == 0
    assert "roles" not in access_claims(client, "ops@example.com")


def test_a_refresh_carries_the_role_too(client: FlaskClient, auth_env: dict[str, str]) -> None:
    signup(client, "later@example.com")
    tokens = client.post(
        "/api/users/tokens", json={"email": "later@example.com", "password": PASSWORD}
    ).json
    main(["grant", "later@example.com"], auth_env)
    refreshed = client.post(
        "/api/users/refresh", headers={"Authorization": f"Bearer {tokens['refreshToken']}"}
    )
    assert refreshed.status_code == 200, refreshed.json
    claims = jwt.decode(refreshed.json["accessToken"], options={"verify_signature": False})
    assert claims["roles"] == ["operator"]


@pytest.mark.parametrize(
    ("argv", "code"),
    [([], 2), (["grant"], 2), (["promote", "a@example.com"], 2), (["grant", "nobody@x.io"], 1)],
)
def test_the_command_refuses_bad_usage_and_unknown_users(
    auth_env: dict[str, str], argv: list[str], code: int
) -> None:
    assert main(argv, auth_env) == code


def test_no_http_route_grants_the_role(client: FlaskClient) -> None:
    paths = {rule.rule for rule in client.application.url_map.iter_rules()}
    assert not [path for path in paths if "operator" in path or "role" in path]
