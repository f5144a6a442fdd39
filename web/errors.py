"""Friendly error pages in the site's look, for the web's own errors and the APIs'."""

from __future__ import annotations

import logging

from flask import Flask, g, render_template
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from web.client import ApiProblem, ApiUnavailable
from web.context import signin_redirect
from web.forms import FormExpired

log = logging.getLogger(__name__)

PAGES = {
    400: ("This request could not be handled", "Please go back and try again."),
    403: ("This is not yours", "You can only see and change your own tickets and orders."),
    404: (
        "Page not found",
        "There is nothing at this address. It may have been mistyped, or the ticket or order "
        "no longer exists.",
    ),
    405: ("This page cannot do that", "Please go back and use the page's own buttons."),
    413: ("That was too much", "What you sent is too large."),
    500: (
        "Something went wrong",
        "Something went wrong on our side. Please try again in a moment.",
    ),
    503: (
        "We are having trouble",
        "Part of the service is not answering right now. Please try again in a moment.",
    ),
}


def error_page(status: int, detail: str | None = None) -> tuple[str, int]:
    """The error page for `status`, optionally explaining what happened."""
    title, message = PAGES.get(status, PAGES[500] if status >= 500 else PAGES[400])
    body = render_template(
        "errors/error.html",
        status=status,
        title=title,
        message=message,
        detail=detail,
        request_id=g.get("request_id"),
    )
    return body, status


def _form_expired(error: FormExpired) -> tuple[str, int]:
    return error_page(
        400,
        "This form has expired or did not come from this site. "
        "Go back, reload the page and send it again.",
    )


def _api_problem(problem: ApiProblem) -> ResponseReturnValue:
    if problem.status == 401:
        return signin_redirect()
    if problem.status in (403, 404):
        return error_page(problem.status)
    return error_page(problem.status if problem.status < 500 else 500, problem.detail)


def _api_unavailable(error: ApiUnavailable) -> tuple[str, int]:
    return error_page(503)


def _http_error(error: HTTPException) -> tuple[str, int]:
    return error_page(error.code or 500)


def _unexpected(error: Exception) -> tuple[str, int]:
    log.exception("unhandled error")
    return error_page(500)


def install_error_pages(app: Flask) -> None:
    """Map every failure to a page in the site's look (no stack traces)."""
    app.register_error_handler(FormExpired, _form_expired)
    app.register_error_handler(ApiProblem, _api_problem)
    app.register_error_handler(ApiUnavailable, _api_unavailable)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
