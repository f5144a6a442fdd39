"""Stripe's bracket-notation form decoding and typed parameter reading."""

from __future__ import annotations

import pytest

from devtools.stripe_standin.errors import StripeApiError
from devtools.stripe_standin.forms import Params, nest, parse_pairs


def test_brackets_nest_hashes_and_indexed_or_empty_brackets_make_lists() -> None:
    pairs = parse_pairs(
        "metadata[orderId]=o1&expand[0]=a&expand[1]=b&types[]=card&types[]=link"
        "&payment_method_data[card][token]=tok_visa&confirm=true"
    )

    assert nest(pairs) == {
        "metadata": {"orderId": "o1"},
        "expand": ["a", "b"],
        "types": ["card", "link"],
        "payment_method_data": {"card": {"token": "tok_visa"}},
        "confirm": "true",
    }


def test_indexed_lists_keep_numeric_order_past_nine() -> None:
    pairs = [(f"expand[{i}]", str(i)) for i in (10, 2, 0, 1, 3, 4, 5, 6, 7, 8, 9)]

    assert nest(pairs)["expand"] == [str(i) for i in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)]


def test_typed_reads_use_stripes_error_codes() -> None:
    params = Params(nest(parse_pairs("amount=12x&confirm=yes&metadata[a]=1")))

    with pytest.raises(StripeApiError) as integer:
        params.integer("amount")
    with pytest.raises(StripeApiError) as boolean:
        params.boolean("confirm")
    with pytest.raises(StripeApiError) as missing:
        params.string("currency", required=True)

    assert integer.value.error["code"] == "parameter_invalid_integer"
    assert boolean.value.error["message"] == "Invalid boolean: yes"
    assert missing.value.error["code"] == "parameter_missing"
    assert params.string_map("metadata") == {"a": "1"}


def test_nested_params_report_their_full_bracket_name() -> None:
    params = Params(nest(parse_pairs("automatic_payment_methods[colour]=red")))
    nested = params.nested("automatic_payment_methods")
    assert nested is not None

    with pytest.raises(StripeApiError) as raised:
        nested.reject_unknown(("enabled",))

    assert raised.value.error["param"] == "automatic_payment_methods[colour]"


def test_a_key_used_both_as_value_and_hash_is_refused() -> None:
    with pytest.raises(StripeApiError):
        nest(parse_pairs("metadata=x&metadata[a]=1"))
