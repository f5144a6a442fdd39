"""Selling, listing, showing and editing tickets through the web, against the real APIs."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from tests.integration.web.conftest import Backend
from tests.integration.web.pages import alert, buy, field, input_value, sell, sign_up, submit, text


def test_selling_with_invalid_input_shows_errors_next_to_the_fields_and_keeps_the_values(
    browser: FlaskClient,
) -> None:
    sign_up(browser, "seller@example.com")

    response = submit(
        browser, "/tickets/new", {"title": "  ", "price": "abc"}, form_page="/tickets/new"
    )

    assert response.status_code == 422
    page = text(response)
    title = field(page, "title")
    assert "Title must be 1 to 200 characters long." in title
    assert 'aria-invalid="true"' in title
    assert 'aria-describedby="title-hint title-error"' in title
    price = field(page, "price")
    assert "Price must be a number or a decimal string." in price
    assert input_value(price) == "abc"
    assert input_value(title) == "  "
    assert 'role="alert"' in page
    assert 'href="#price"' in page  # the summary links to the field


def test_a_sold_ticket_appears_on_its_page_and_on_the_home_page(browser: FlaskClient) -> None:
    sign_up(browser, "seller@example.com")

    ticket_id = sell(browser, "Opera, box 2", "$45.5")

    page = text(browser.get(f"/tickets/{ticket_id}", follow_redirects=True))
    assert "Your ticket is on sale." in page
    assert "Opera, box 2" in page
    assert "$45.50" in page
    assert "Available" in page
    assert ">Buy</button>" not in page  # nobody buys their own ticket
    home = text(browser.get("/"))
    assert "Opera, box 2" in home and "$45.50" in home
    assert "Sold by you" in " ".join(home.split())


def test_visitors_see_tickets_and_a_buy_button_and_are_asked_to_sign_in_to_buy(
    browser: FlaskClient, make_browser: Callable[[], FlaskClient]
) -> None:
    seller = make_browser()
    sign_up(seller, "seller@example.com")
    ticket_id = sell(seller, "Match, stand B")

    page = text(browser.get(f"/tickets/{ticket_id}"))
    assert ">Buy</button>" in page
    response = submit(browser, f"/tickets/{ticket_id}/buy", {}, form_page=f"/tickets/{ticket_id}")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin?next=")


def test_the_home_page_lists_tickets_a_page_at_a_time(
    make_web: Callable[..., Flask],
) -> None:
    browser = make_web(WEB_PAGE_SIZE="2").test_client()
    sign_up(browser, "seller@example.com")
    for title in ("First", "Second", "Third"):
        sell(browser, title)

    first = text(browser.get("/"))
    titles = re.findall(r'<h2 class="card-title"><a [^>]*>([^<]+)</a>', first)
    assert titles == ["Third", "Second"]
    next_link = re.search(r'rel="next" href="([^"]+)"', first)
    assert next_link, "the first page links to the next one"
    second = text(browser.get(next_link.group(1).replace("&amp;", "&")))
    assert re.findall(r'<h2 class="card-title"><a [^>]*>([^<]+)</a>', second) == ["First"]
    assert 'rel="next"' not in second
    assert ">First page</a>" in second
    assert '<a class="button" href="/tickets/new">Sell a ticket</a>' in first


def test_a_tampered_page_cursor_starts_again_from_the_first_page(browser: FlaskClient) -> None:
    response = browser.get("/?cursor=not-a-cursor")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_selling_asks_visitors_to_sign_in_first(browser: FlaskClient) -> None:
    response = browser.get("/tickets/new")

    assert response.status_code == 302
    assert response.headers["Location"] == "/signin?next=/tickets/new"


def test_the_sell_form_has_labelled_fields_and_its_button(browser: FlaskClient) -> None:
    sign_up(browser, "seller@example.com")

    page = text(browser.get("/tickets/new"))

    assert '<label for="title">Title</label>' in page
    assert '<label for="price">Price</label>' in page
    assert '<button type="submit" class="button">Sell a ticket</button>' in page


def test_my_tickets_lists_their_state_and_saves_an_edit(browser: FlaskClient) -> None:
    sign_up(browser, "seller@example.com")
    ticket_id = sell(browser, "Play, row 9", "30")

    page = text(browser.get("/tickets/mine"))
    assert "Play, row 9" in page and "Available" in page
    assert ">Save</button>" in page
    response = submit(
        browser,
        f"/tickets/{ticket_id}/edit",
        {"title": "Play, row 1", "price": "35.00"},
        form_page="/tickets/mine",
    )

    assert response.status_code == 302
    after = text(browser.get("/tickets/mine"))
    assert "Your changes are saved." in after
    assert "Play, row 1" in after and "$35.00" in after


def test_an_invalid_edit_shows_errors_next_to_that_tickets_fields(browser: FlaskClient) -> None:
    sign_up(browser, "seller@example.com")
    ticket_id = sell(browser, "Play, row 9", "30")

    response = submit(
        browser,
        f"/tickets/{ticket_id}/edit",
        {"title": "Play, row 9", "price": "-5"},
        form_page="/tickets/mine",
    )

    assert response.status_code == 422
    price = field(text(response), "ticket1-price")
    assert "field-error" in price
    assert input_value(price) == "-5"


def test_editing_is_refused_with_the_apis_explanation_while_the_ticket_is_reserved(
    browser: FlaskClient, make_browser: Callable[[], FlaskClient], backend: Backend
) -> None:
    sign_up(browser, "seller@example.com")
    ticket_id = sell(browser, "Ballet", "50")
    backend.deliver_events()
    buyer = make_browser()
    sign_up(buyer, "buyer@example.com")
    buy(buyer, ticket_id)
    backend.deliver_events()

    mine = text(browser.get("/tickets/mine"))
    assert "Reserved" in mine
    assert "cannot be changed until their order ends" in mine
    response = submit(
        browser,
        f"/tickets/{ticket_id}/edit",
        {"title": "Ballet, cheaper", "price": "40"},
        form_page="/tickets/mine",
    )

    assert response.status_code == 409
    page = text(response)
    assert "The ticket is reserved by an order and cannot be edited meanwhile." in alert(page)
    assert input_value(field(page, "ticket1-title")) == "Ballet, cheaper"
    assert "Ballet, cheaper" not in text(browser.get(f"/tickets/{ticket_id}"))
