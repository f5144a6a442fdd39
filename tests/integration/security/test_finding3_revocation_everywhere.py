"""Finding 3: after sign-out or a reused refresh token, every service refuses the session."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import redis
from flask import Flask
from flask.testing import FlaskClient

from api.tickets.app import create_app as create_tickets_app
from api.tickets.config import TicketsSettings
from common.auth.revocation import LOCAL_SECONDS, revocation_key
from devstack.ports import free_port

PASSWORD = "correct horse battery"
# Within this, a revocation must reach every service (the local memory is LOCAL_SECONDS).
PROPAGATION_SECONDS = LOCAL_SECONDS + 1


PROBES = {
    "tickets": "/api/tickets/mine",
    "orders": "/api/orders",
    "payments": f"/api/payments?orderId={uuid.uuid4()}",
}


def statuses(services: dict[str, FlaskClient], token: str) -> dict[str, int]:
    headers = {"Authorization": f"Bearer {token}"}
    return {
        name: client.get(PROBES[name], headers=headers).status_code
        for name, client in services.items()
    }


def refused_everywhere(services: dict[str, FlaskClient], token: str) -> dict[str, int]:
    deadline = time.monotonic() + PROPAGATION_SECONDS
    while True:
        seen = statuses(services, token)
        if set(seen.values()) == {401} or time.monotonic() > deadline:
            return seen
        time.sleep(0.1)


def bearer_session(auth: FlaskClient, email: str) -> dict[str, str]:
    auth.post("/api/users/signup", json={"email": email, "password": PASSWORD})
    response = auth.post("/api/users/tokens", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    return response.json  # type: ignore[no-any-return]


def test_a_signed_out_access_token_is_refused_by_every_service_within_seconds(
    make_auth: Callable[..., Flask], services: dict[str, FlaskClient]
) -> None:
    auth = make_auth().test_client()
    tokens = bearer_session(auth, "leaver@example.com")
    access = tokens["accessToken"]
    assert set(statuses(services, access).values()) == {200}
    signed_out = auth.post("/api/users/signout", headers={"Authorization": f"Bearer {access}"})
    assert signed_out.status_code == 204
    assert refused_everywhere(services, access) == dict.fromkeys(services, 401)


def test_a_reused_refresh_token_revokes_the_family_in_every_service(
    make_auth: Callable[..., Flask], services: dict[str, FlaskClient], redis_url: str
) -> None:
    auth = make_auth(REFRESH_REUSE_GRACE_SECONDS="0").test_client()
    tokens = bearer_session(auth, "victim@example.com")
    stolen = {"Authorization": f"Bearer {tokens['refreshToken']}"}
    rotated = auth.post("/api/users/refresh", headers=stolen)
    assert rotated.status_code == 200
    fresh_access = rotated.json["accessToken"]
    assert set(statuses(services, fresh_access).values()) == {200}
    assert auth.post("/api/users/refresh", headers=stolen).status_code == 401  # reuse
    assert refused_everywhere(services, fresh_access) == dict.fromkeys(services, 401)
    assert refused_everywhere(services, tokens["accessToken"]) == dict.fromkeys(services, 401)
    family_keys = redis.Redis.from_url(redis_url).keys(revocation_key("*"))
    assert len(family_keys) == 1


def test_without_redis_tokens_pass_and_the_outage_is_counted(
    service_env: Callable[..., dict[str, str]], issue_token: Callable[..., str]
) -> None:
    nobody_listens = f"redis://127.0.0.1:{free_port()}/0"
    app = create_tickets_app(
        TicketsSettings.from_env(service_env("tickets", REDIS_URL=nobody_listens))
    )
    client = app.test_client()
    token = issue_token()
    started = time.monotonic()
    answers = [
        client.get(PROBES["tickets"], headers={"Authorization": f"Bearer {token}"}).status_code
        for _ in range(20)
    ]
    assert answers == [200] * 20
    # One failed read pauses the checks, so an outage does not add a timeout per request.
    assert time.monotonic() - started < 2
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'token_revocation_errors_total{operation="read"} 1.0' in metrics
    app.extensions["db"].dispose()
