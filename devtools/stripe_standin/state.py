"""The stand-in's in-memory ledger of Stripe objects, guarded by one lock."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from devtools.stripe_standin.errors import JsonObject
from devtools.stripe_standin.payment_methods import TestCard

KINDS = ("payment_intents", "charges", "refunds", "payment_methods", "events")


class Ledger:
    """Every object the stand-in has created, by kind and id, in creation order."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._tables: dict[str, dict[str, JsonObject]] = {kind: {} for kind in KINDS}
        self._used_payment_methods: set[str] = set()
        self._cards: dict[str, TestCard] = {}

    @contextmanager
    def locked(self) -> Iterator[Ledger]:
        """Hold the ledger lock for a read-modify-write of several objects."""
        with self._lock:
            yield self

    def add(self, kind: str, obj: JsonObject) -> JsonObject:
        """Store a new object and return it (the stored, mutable instance)."""
        with self._lock:
            self._tables[kind][obj["id"]] = obj
            return obj

    def get(self, kind: str, object_id: str) -> JsonObject | None:
        """The stored, mutable instance, or None; mutate it only under `locked()`."""
        with self._lock:
            return self._tables[kind].get(object_id)

    def snapshot(self, kind: str) -> list[JsonObject]:
        """Deep copies of every object of one kind, oldest first."""
        with self._lock:
            return copy.deepcopy(list(self._tables[kind].values()))

    def add_payment_method(self, method: JsonObject, card: TestCard) -> JsonObject:
        """Store a PaymentMethod together with the test card that decides its charges."""
        with self._lock:
            self._cards[method["id"]] = card
            return self.add("payment_methods", method)

    def card_of(self, pm_id: str) -> TestCard:
        """The test card behind a stored PaymentMethod."""
        with self._lock:
            return self._cards[pm_id]

    def is_used(self, pm_id: str) -> bool:
        """Whether a PaymentMethod was already confirmed on some PaymentIntent."""
        with self._lock:
            return pm_id in self._used_payment_methods

    def mark_used(self, pm_id: str) -> None:
        """Record that a PaymentMethod was confirmed (Stripe will not take it again)."""
        with self._lock:
            self._used_payment_methods.add(pm_id)

    def reset(self) -> None:
        """Forget everything."""
        with self._lock:
            for table in self._tables.values():
                table.clear()
            self._used_payment_methods.clear()
            self._cards.clear()
