"""Stripe's test cards: the magic `pm_card_*` and `tok_*` ids and how each one charges."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Decline:
    """How the issuer refuses a charge: Stripe's error code, decline code and wording."""

    code: str
    decline_code: str
    message: str
    seller_message: str
    outcome_type: str = "issuer_declined"


@dataclass(frozen=True)
class TestCard:
    """One test card: what it looks like and whether charging it succeeds."""

    brand: str
    last4: str
    funding: str = "credit"
    decline: Decline | None = None

    __test__ = False  # keeps pytest from collecting this dataclass as a test class


_GENERIC = "The bank did not return any further details with this decline."
_DECLINED = "Your card was declined."


def _declined(decline_code: str, seller_message: str = _GENERIC) -> Decline:
    """A `card_declined` decline with the given decline code."""
    return Decline("card_declined", decline_code, _DECLINED, seller_message)


CARDS: dict[str, TestCard] = {
    "visa": TestCard("visa", "4242"),
    "visa_debit": TestCard("visa", "5556", funding="debit"),
    "mastercard": TestCard("mastercard", "4444"),
    "amex": TestCard("amex", "8431"),
    "discover": TestCard("discover", "1117"),
    "chargeDeclined": TestCard("visa", "0002", decline=_declined("generic_decline")),
    "chargeDeclinedInsufficientFunds": TestCard(
        "visa",
        "9995",
        decline=Decline(
            "card_declined",
            "insufficient_funds",
            "Your card has insufficient funds.",
            "The bank returned the decline code `insufficient_funds`.",
        ),
    ),
    "chargeDeclinedLostCard": TestCard("visa", "9987", decline=_declined("lost_card")),
    "chargeDeclinedStolenCard": TestCard("visa", "9979", decline=_declined("stolen_card")),
    "chargeDeclinedFraudulent": TestCard("visa", "0019", decline=_declined("fraudulent")),
    "chargeDeclinedExpiredCard": TestCard(
        "visa",
        "0069",
        decline=Decline(
            "expired_card",
            "expired_card",
            "Your card has expired.",
            "The bank returned the decline code `expired_card`.",
        ),
    ),
    "chargeDeclinedIncorrectCvc": TestCard(
        "visa",
        "0127",
        decline=Decline(
            "incorrect_cvc",
            "incorrect_cvc",
            "Your card's security code is incorrect.",
            "The bank returned the decline code `incorrect_cvc`.",
        ),
    ),
    "chargeDeclinedProcessingError": TestCard(
        "visa",
        "0119",
        decline=Decline(
            "processing_error",
            "processing_error",
            "An error occurred while processing your card. Try again in a little bit.",
            "The bank returned the decline code `processing_error`.",
        ),
    ),
}

_ALIASES = {"insufficientFunds": "chargeDeclinedInsufficientFunds"}

PAYMENT_METHOD_PREFIX = "pm_card_"
TOKEN_PREFIX = "tok_"  # noqa: S105 - a Stripe test-token id prefix, not a secret


def magic_card(reference: str) -> TestCard | None:
    """The test card behind `pm_card_<name>` or `tok_<name>`, or None for any other id."""
    for prefix in (PAYMENT_METHOD_PREFIX, TOKEN_PREFIX):
        if reference.startswith(prefix):
            name = reference.removeprefix(prefix)
            return CARDS.get(_ALIASES.get(name, name))
    return None
