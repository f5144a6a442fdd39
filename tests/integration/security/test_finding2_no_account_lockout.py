"""Finding 2: wrong passwords slow the address that sends them, never lock the owner out."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from api.auth.ratelimit import SigninPolicy

PASSWORD = "correct horse battery"
ATTACKER = {"REMOTE_ADDR": "203.0.113.10"}
OWNER = {"REMOTE_ADDR": "198.51.100.20"}


def test_the_owner_signs_in_from_their_address_while_an_attacker_is_delayed(
    make_auth: Callable[..., Flask],
) -> None:
    client = make_auth(SIGNIN_DELAY_SECONDS="30").test_client()
    body = {"email": "victim@example.com", "password": PASSWORD}
    assert client.post("/api/users/signup", json=body, environ_base=OWNER).status_code == 201
    guesses = [
        client.post(
            "/api/users/signin",
            json={"email": "victim@example.com", "password": f"guess-{i}"},
            environ_base=ATTACKER,
        )
        for i in range(12)
    ]
    assert [r.status_code for r in guesses[:5]] == [401] * 5
    assert {r.status_code for r in guesses[5:]} == {429}
    assert all(int(r.headers["Retry-After"]) >= 1 for r in guesses[5:])
    # Even the right password waits at the attacker's address...
    at_attacker = client.post("/api/users/signin", json=body, environ_base=ATTACKER)
    assert at_attacker.status_code == 429
    # ...while the owner, from their own address, passes at once.
    assert client.post("/api/users/signin", json=body, environ_base=OWNER).status_code == 200


def test_the_delay_doubles_with_each_further_failure() -> None:
    policy = SigninPolicy(free_failures=5, delay_seconds=2, max_delay_seconds=900)
    delays = [policy.delay_after(n, under_attack=False) for n in range(1, 12)]
    assert delays == [0, 0, 0, 0, 2, 4, 8, 16, 32, 64, 128]
    assert policy.delay_after(40, under_attack=False) == 900
    assert policy.delay_after(1, under_attack=True) == 2
