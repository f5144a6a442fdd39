"""Stripe's form encoding: bracket-notation keys decoded into nested values, read with types."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TypeAlias
from urllib.parse import parse_qsl

from devtools.stripe_standin import errors

FormValue: TypeAlias = "str | list[FormValue] | dict[str, FormValue]"

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_TRUE, _FALSE = "true", "false"


def parse_pairs(raw: str) -> list[tuple[str, str]]:
    """Decode an `application/x-www-form-urlencoded` body or query string into pairs."""
    return parse_qsl(raw, keep_blank_values=True)


def nest(pairs: Iterable[tuple[str, str]]) -> dict[str, FormValue]:
    """Build nested dicts and lists from `a[b][0]=x` and `a[]=x` keys, as Stripe reads them."""
    root: dict[str, FormValue] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if match is None:
            raise errors.invalid_request(f"Invalid parameter name: {key}")
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        _insert(root, path, value, key)
    return {name: _listify(value) for name, value in root.items()}


def _insert(root: dict[str, FormValue], path: list[str], value: str, key: str) -> None:
    """Place one decoded value at its bracket path, `[]` meaning the next list index."""
    node = root
    for depth, part in enumerate(path):
        segment = str(len(node)) if part == "" else part
        if depth == len(path) - 1:
            node[segment] = value
            return
        child = node.setdefault(segment, {})
        if not isinstance(child, dict):
            raise errors.invalid_request(f"Invalid parameter structure at {key}", param=key)
        node = child


def _listify(value: FormValue) -> FormValue:
    """Turn dicts keyed 0..n-1 into lists, recursively."""
    if not isinstance(value, dict):
        return value
    items = {k: _listify(v) for k, v in value.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


class Params:
    """Typed, Stripe-worded access to one level of decoded parameters."""

    def __init__(self, values: Mapping[str, FormValue], prefix: str = "") -> None:
        self._values = values
        self._prefix = prefix

    def name(self, key: str) -> str:
        """The parameter's full bracket name, as Stripe reports it in `param`."""
        return f"{self._prefix}[{key}]" if self._prefix else key

    def has(self, key: str) -> bool:
        """Whether the parameter was sent with a non-empty value."""
        return self._values.get(key, "") != ""

    def reject_unknown(self, allowed: Iterable[str], unmodelled: Iterable[str] = ()) -> None:
        """Answer Stripe's `parameter_unknown` for anything this endpoint does not take."""
        known, skipped = set(allowed), set(unmodelled)
        for key in self._values:
            if key in skipped:
                raise errors.parameter_unknown(
                    self.name(key), hint=" (a real Stripe parameter the stand-in does not model)"
                )
            if key not in known:
                raise errors.parameter_unknown(self.name(key))

    def string(self, key: str, *, required: bool = False) -> str | None:
        """A string parameter; empty means unset."""
        value = self._values.get(key)
        if value is None or value == "":
            if required:
                raise errors.parameter_missing(self.name(key))
            return None
        if not isinstance(value, str):
            raise errors.parameter_invalid(
                self.name(key), f"Invalid string: {self.name(key)} must be a string."
            )
        return value

    def required_string(self, key: str) -> str:
        """A string parameter that must be present."""
        value = self.string(key, required=True)
        assert value is not None
        return value

    def integer(self, key: str, *, required: bool = False) -> int | None:
        """An integer parameter in Stripe's wording for bad values."""
        raw = self.string(key, required=required)
        if raw is None:
            return None
        if not re.fullmatch(r"-?\d+", raw):
            raise errors.parameter_invalid(
                self.name(key), f"Invalid integer: {raw}", "parameter_invalid_integer"
            )
        return int(raw)

    def boolean(self, key: str, *, default: bool = False) -> bool:
        """A boolean parameter: Stripe takes only `true` and `false`."""
        raw = self.string(key)
        if raw is None:
            return default
        if raw not in (_TRUE, _FALSE):
            raise errors.parameter_invalid(self.name(key), f"Invalid boolean: {raw}")
        return raw == _TRUE

    def choice(self, key: str, options: tuple[str, ...]) -> str | None:
        """A string parameter limited to a few values."""
        raw = self.string(key)
        if raw is not None and raw not in options:
            listed = ", ".join(f"`{option}`" for option in options)
            raise errors.parameter_invalid(
                self.name(key), f"Invalid {self.name(key)}: must be one of {listed}"
            )
        return raw

    def string_map(self, key: str) -> dict[str, str]:
        """A hash of strings such as `metadata`; an empty string means an empty hash."""
        value = self._values.get(key)
        if value is None or value == "":
            return {}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise errors.parameter_invalid(self.name(key), f"Invalid hash: {self.name(key)}")
        return {k: v for k, v in value.items() if isinstance(v, str) and v != ""}

    def string_list(self, key: str) -> list[str]:
        """An array of strings such as `expand` or `payment_method_types`."""
        value = self._values.get(key)
        if value is None or value == "":
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise errors.parameter_invalid(self.name(key), f"Invalid array: {self.name(key)}")
        return [v for v in value if isinstance(v, str)]

    def nested(self, key: str) -> Params | None:
        """A hash parameter read as its own `Params`, or None when absent."""
        value = self._values.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, dict):
            raise errors.parameter_invalid(self.name(key), f"Invalid hash: {self.name(key)}")
        return Params(value, self.name(key))
