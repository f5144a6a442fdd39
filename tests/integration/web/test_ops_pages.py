"""The operators' console (/ops): operators see every run; everyone else gets a 404."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from api.auth.operators import main as operators_cli
from api.orders.models import OUTBOX
from common.outbox.dead_letters import DeadLetter, list_dead_letters, record_dead_letter
from tests.integration.web.conftest import Backend
from tests.integration.web.pages import PASSWORD, buy, sell, sign_up, submit, text, why

PAGES = [
    "/ops",
    "/ops/runs",
    "/ops/runs?status=cancelled",
    "/ops/runs/5dbf91fe-8c7d-46c7-b825-12747667d635",  # any id: a fixed one keeps xdist in step
    "/ops/stuck",
    "/ops/compensations",
    "/ops/dead-letters",
    "/ops/backlogs",
]
ACTIONS = ["/ops/dead-letters/orders/1/replay", "/ops/dead-letters/orders/1/discard"]


def sign_in(browser: FlaskClient, email: str) -> None:
    response = submit(
        browser, "/signin", {"email": email, "password": PASSWORD}, form_page="/signin"
    )
    assert response.status_code == 302, why(response)


@pytest.fixture
def operator(
    make_browser: Callable[[], FlaskClient], api_env: dict[str, dict[str, str]]
) -> FlaskClient:
    """A browser signed in as a user granted the role with the command line."""
    browser = make_browser()
    email = f"ops-{uuid.uuid4().hex[:8]}@example.com"
    sign_up(browser, email)
    assert operators_cli(["grant", email], api_env["auth"]) == 0
    sign_in(browser, email)  # the role is in the tokens of the next sign-in
    return browser


@pytest.mark.parametrize("path", PAGES)
def test_a_normal_user_gets_404_on_every_console_page(browser: FlaskClient, path: str) -> None:
    sign_up(browser, f"user-{uuid.uuid4().hex[:8]}@example.com")
    response = browser.get(path)
    assert response.status_code == 404
    assert "operator" not in text(response).lower()


@pytest.mark.parametrize("path", ACTIONS)
def test_a_normal_user_gets_404_on_every_console_action(browser: FlaskClient, path: str) -> None:
    sign_up(browser, f"user-{uuid.uuid4().hex[:8]}@example.com")
    response = submit(browser, path, {}, form_page="/orders")
    assert response.status_code == 404


def test_an_anonymous_visitor_is_asked_to_sign_in(browser: FlaskClient) -> None:
    response = browser.get("/ops")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin")


def test_an_operator_sees_every_buyers_run_and_opens_one_from_its_id(
    operator: FlaskClient, make_browser: Callable[[], FlaskClient], backend: Backend
) -> None:
    seller, buyer = make_browser(), make_browser()
    sign_up(seller, f"seller-{uuid.uuid4().hex[:8]}@example.com")
    sign_up(buyer, f"buyer-{uuid.uuid4().hex[:8]}@example.com")
    ticket_id = sell(seller, "Opera, box 2", "80.00")
    backend.deliver_events()
    order_id = buy(buyer, ticket_id)

    overview = operator.get("/ops")
    assert overview.status_code == 200, why(overview)
    assert re.search(r'data-count="created">\s*1<', text(overview))
    assert re.search(r"<th scope=\"row\">reserve</th><td>1</td>", text(overview))

    runs = text(operator.get("/ops/runs?status=created"))
    link = f'href="/ops/runs/{order_id}"'
    assert link in runs and "Opera, box 2" in runs

    run = operator.get(f"/ops/runs/{order_id}")
    page = text(run)
    assert run.status_code == 200
    assert ">reserve</th>" in page and ">await_payment</th>" in page
    assert "orders.created" in page
    # No payments service behind this test gateway: its panel says so, the page still shows.
    assert "payments did not answer" in page


def test_an_operator_discards_a_dead_letter_from_the_console(
    operator: FlaskClient, backend: Backend
) -> None:
    event = {"id": str(uuid.uuid4()), "type": "tickets.updated", "data": {}}
    record_dead_letter(
        backend.orders_db,
        OUTBOX,
        DeadLetter(uuid.UUID(event["id"]), event["type"], "t.x", json.dumps(event), "boom", 10),
    )
    (letter,) = list_dead_letters(backend.orders_db, OUTBOX)
    page = text(operator.get("/ops/dead-letters"))
    assert f"Discard {letter['id']}" in page and "boom" in page

    response = submit(
        operator,
        f"/ops/dead-letters/orders/{letter['id']}/discard",
        {},
        form_page="/ops/dead-letters",
        follow=True,
    )
    assert f"Dead letter {letter['id']} of orders discarded." in text(response)
    assert list_dead_letters(backend.orders_db, OUTBOX) == []


def test_the_backlogs_page_shows_the_outbox_and_the_expiry_queue(operator: FlaskClient) -> None:
    page = text(operator.get("/ops/backlogs"))
    assert "Outbox:" in page
    assert '<th scope="row">expiration</th>' in page


@pytest.mark.parametrize("path", ["/ops", "/ops/backlogs"])
def test_the_waiting_room_panel_shows_the_line_and_what_it_admits(
    operator: FlaskClient, path: str
) -> None:
    page = text(operator.get(path))
    found = re.search(r'<section aria-labelledby="waiting-room-title".*?</section>', page, re.S)
    assert found, page
    panel = found.group(0)
    assert re.search(r'data-figure="length">\d+<', panel), panel
    assert "buyers/s, bursts of" in panel
    assert "did not answer" not in panel
