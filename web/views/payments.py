"""Paying for an order: the payment form posts here, and here it goes to the payments API."""

from __future__ import annotations

import re
import uuid

from flask import Blueprint, current_app, flash, redirect, url_for
from flask.typing import ResponseReturnValue

from web.client import ApiProblem, ApiUnavailable
from web.context import api, signin_required
from web.forms import FormState
from web.views.orders import STANDIN_METHODS, order_page

bp = Blueprint("payments", __name__)

FIELD = "paymentMethod"
# Stripe payment method and token ids (pm_card_visa, pm_1Abc..., tok_visa).
PAYMENT_METHOD_ID = re.compile(r"^(pm|tok)_[A-Za-z0-9_]{1,200}$")
FORM_STATUSES = frozenset({400, 402, 409, 422})


def _check_method(form: FormState) -> None:
    method = form.value(FIELD).strip()
    form.values[FIELD] = method
    if current_app.extensions["web_settings"].stripe_standin:
        if method not in {value for value, _ in STANDIN_METHODS}:
            form.errors[FIELD] = ["Choose a test card."]
    elif not PAYMENT_METHOD_ID.match(method):
        form.errors[FIELD] = ["Enter a payment method id such as pm_card_visa."]
    if form.errors:
        form.status = 422


@bp.post("/orders/<uuid:order_id>/pay")
@signin_required
def pay(order_id: uuid.UUID) -> ResponseReturnValue:
    """Charge the order; show the receipt, or why it did not go through."""
    form = FormState.from_request((FIELD,))
    _check_method(form)
    if form.invalid:
        return order_page(order_id, form)
    try:
        response = api().post(
            "/api/payments", {"orderId": str(order_id), "paymentMethod": form.value(FIELD)}
        )
    except ApiUnavailable:
        form.alert(
            "We could not reach the payment service. Reload this page to see whether the "
            "payment went through before you try again: you will never be charged twice.",
            503,
        )
        return order_page(order_id, form)
    if response.status == 404:
        form.alert("Payments are not available right now. Please try again in a moment.", 503)
        return order_page(order_id, form)
    try:
        response.data()
    except ApiProblem as problem:
        if problem.status not in FORM_STATUSES:
            raise
        form.add_problem(problem)
        # A decline cancels the order a moment later (an event away): the page says so and
        # refreshes itself until it shows the cancelled order, instead of waiting here.
        return order_page(order_id, form, declined=problem.status == 402)
    if response.status == 202:
        flash("Your payment is being processed. This page shows the result when it is done.")
    else:
        flash("Thank you! Your payment went through.")
    return redirect(url_for("orders.show", order_id=order_id, paid=1))
