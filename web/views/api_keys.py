"""The account's API keys: create one (shown once), see when each was last used, revoke."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from web.client import ApiProblem
from web.context import api, signin_required
from web.forms import FormState

bp = Blueprint("api_keys", __name__)

SCOPES = ("read", "write:tickets", "write:orders", "write:payments", "write:webhooks")
BASE = "/api/users/api-keys"


def _index(form: FormState | None = None, key: str | None = None) -> ResponseReturnValue:
    keys = api().get(BASE).data()["items"]
    form = form or FormState(values={"name": ""})
    chosen = request.form.getlist("scopes") if request.method == "POST" else ["read"]
    body = render_template(
        "api_keys/index.html", keys=keys, form=form, scopes=SCOPES, chosen=chosen, key=key
    )
    return (body, form.status) if form.invalid else body


@bp.get("/account/api-keys")
@signin_required
def index() -> ResponseReturnValue:
    """My keys and a form to create one."""
    return _index()


@bp.post("/account/api-keys")
@signin_required
def create() -> ResponseReturnValue:
    """Create a key; it is shown on this page once."""
    form = FormState.from_request(("name",))
    body = {"name": form.value("name").strip(), "scopes": request.form.getlist("scopes")}
    try:
        created = api().post(BASE, body).data()
    except ApiProblem as problem:
        if problem.status not in (400, 422):
            raise
        form.add_problem(problem)
        return _index(form)
    return _index(key=created["key"])


@bp.post("/account/api-keys/<uuid:key_id>/revoke")
@signin_required
def revoke(key_id: uuid.UUID) -> ResponseReturnValue:
    """Revoke a key: programs using it are refused at once."""
    response = api().request("DELETE", f"{BASE}/{key_id}")
    if not response.ok:
        response.data()
    flash("The key is revoked.")
    return redirect(url_for("api_keys.index"))
