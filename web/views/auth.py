"""Sign up, sign in and sign out: forms in front of the auth API."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue

from web.client import ApiProblem, ApiUnavailable
from web.context import api, current_user, safe_next
from web.forms import FormState

bp = Blueprint("auth", __name__)

FIELDS = ("email", "password")
# Statuses a sign-up or sign-in form explains itself; anything else is an error page.
FORM_STATUSES = frozenset({400, 401, 409, 422, 429})


def _credentials_page(template: str, path: str, success: str) -> ResponseReturnValue:
    """Show the form, or send the credentials to `path` and go on when they are accepted."""
    next_page = safe_next(request.values.get("next"))
    form = FormState()
    retry_after: str | None = None
    if request.method == "POST":
        form = FormState.from_request(FIELDS)
        try:
            api().post(path, {name: form.value(name) for name in FIELDS}).data()
        except ApiProblem as problem:
            if problem.status not in FORM_STATUSES:
                raise
            form.add_problem(problem)
            retry_after = problem.retry_after
        else:
            api().forget_user()
            flash(success)
            return redirect(next_page)
        form.values.pop("password", None)  # a password is never sent back to the browser
    body = render_template(template, form=form, next_page=next_page)
    if not form.invalid:
        return body
    # A rate-limited visitor's browser (or script) learns when to come back, as from the API.
    return body, form.status, {"Retry-After": retry_after} if retry_after else {}


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> ResponseReturnValue:
    """Create an account."""
    return _credentials_page(
        "auth/signup.html", "/api/users/signup", "Welcome! Your account is ready."
    )


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> ResponseReturnValue:
    """Sign in with email and password."""
    return _credentials_page("auth/signin.html", "/api/users/signin", "You are signed in.")


@bp.route("/signout", methods=["GET", "POST"])
def signout() -> ResponseReturnValue:
    """End the session (GET shows the button, for links and JavaScript-less visitors)."""
    if request.method == "GET":
        return render_template("auth/signout.html", signed_in=current_user() is not None)
    session = api()
    try:
        session.post("/api/users/signout")
    except ApiUnavailable:
        # Auth is away: the browser at least forgets the session.
        session.set_cookies.extend(session.jar.clear())
    session.forget_user()
    flash("You are signed out.")
    return redirect("/")
