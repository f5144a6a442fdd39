"""The account's webhooks: endpoints (add, remove, roll the secret) and their delivery logs."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from web.client import ApiProblem
from web.context import api, signin_required
from web.forms import FormState

bp = Blueprint("webhooks", __name__)

EVENTS = ("order.created", "order.completed", "order.cancelled", "ticket.sold", "payment.refunded")
FORM_STATUSES = frozenset({400, 403, 404, 422})
BASE = "/api/webhooks/endpoints"


def _index(
    form: FormState | None = None, secret: dict[str, str] | None = None
) -> ResponseReturnValue:
    endpoints = api().get(BASE).data()["items"]
    form = form or FormState(values={"url": ""})
    chosen = request.form.getlist("events") if request.method == "POST" else []
    body = render_template(
        "webhooks/index.html",
        endpoints=endpoints,
        form=form,
        events=EVENTS,
        chosen=chosen,
        secret=secret,
    )
    return (body, form.status) if form.invalid else body


@bp.get("/account/webhooks")
@signin_required
def index() -> ResponseReturnValue:
    """My endpoints and a form to add one."""
    return _index()


@bp.post("/account/webhooks")
@signin_required
def create() -> ResponseReturnValue:
    """Register an endpoint; its secret is shown on this page once."""
    form = FormState.from_request(("url", "description"))
    body = {
        "url": form.value("url").strip(),
        "events": request.form.getlist("events"),
        "description": form.value("description").strip(),
    }
    try:
        created = api().post(BASE, body).data()
    except ApiProblem as problem:
        if problem.status not in FORM_STATUSES:
            raise
        form.values["events"] = ""
        form.add_problem(problem)
        return _index(form)
    return _index(secret={"url": created["url"], "secret": created["secret"]})


@bp.post("/account/webhooks/<uuid:endpoint_id>/delete")
@signin_required
def delete(endpoint_id: uuid.UUID) -> ResponseReturnValue:
    """Remove an endpoint."""
    response = api().request("DELETE", f"{BASE}/{endpoint_id}")
    if not response.ok:
        response.data()
    flash("The endpoint is removed.")
    return redirect(url_for("webhooks.index"))


@bp.post("/account/webhooks/<uuid:endpoint_id>/roll-secret")
@signin_required
def roll(endpoint_id: uuid.UUID) -> ResponseReturnValue:
    """A new secret (the old one keeps signing for a day); shown once."""
    rolled = api().post(f"{BASE}/{endpoint_id}/roll-secret", {}).data()
    return _index(secret={"url": rolled["url"], "secret": rolled["secret"]})


@bp.get("/account/webhooks/<uuid:endpoint_id>")
@signin_required
def deliveries(endpoint_id: uuid.UUID) -> ResponseReturnValue:
    """One endpoint's delivery log, with a Resend button per delivery."""
    endpoint = api().get(f"{BASE}/{endpoint_id}").data()
    log = api().get(f"{BASE}/{endpoint_id}/deliveries").data()["items"]
    return render_template("webhooks/deliveries.html", endpoint=endpoint, deliveries=log)


@bp.post("/account/webhooks/<uuid:endpoint_id>/deliveries/<uuid:delivery_id>/resend")
@signin_required
def resend(endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> ResponseReturnValue:
    """Send a delivery again."""
    api().post(f"{BASE}/{endpoint_id}/deliveries/{delivery_id}/resend").data()
    flash("The delivery will be sent again in a moment.")
    return redirect(url_for("webhooks.deliveries", endpoint_id=endpoint_id))
