"""Test-only fault injection: make the next N API calls fail, hang or drop the connection."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

MODES = ("error", "close", "hang")
PHASES = ("before", "after")
DEFAULT_HANG_MS = 30_000


class FaultSpecError(ValueError):
    """A `POST /_standin/faults` body that does not describe a fault."""


@dataclass(frozen=True)
class Fault:
    """One injected failure: what the caller sees, and whether the call ran first."""

    status: int = 500
    # `error` answers `status` in Stripe's error shape; `close` drops the connection with no
    # answer; `hang` waits `hang_ms` and then drops it.
    mode: str = "error"
    # `before` fails the call without running it; `after` runs it (the charge is made and its
    # idempotent response saved) and then fails the answer, like a response lost in transit.
    when: str = "before"
    hang_ms: int = DEFAULT_HANG_MS
    path_prefix: str = "/v1/"

    @classmethod
    def parse(cls, spec: Mapping[str, Any]) -> tuple[int, Fault]:
        """Read `{"failNext": N, "status", "mode", "when", "hangMs", "pathPrefix"}`."""
        count = spec.get("failNext", 1)
        fault = cls(
            status=spec.get("status", 500),
            mode=spec.get("mode", "error"),
            when=spec.get("when", "before"),
            hang_ms=spec.get("hangMs", DEFAULT_HANG_MS),
            path_prefix=spec.get("pathPrefix", "/v1/"),
        )
        unknown = set(spec) - {"failNext", "status", "mode", "when", "hangMs", "pathPrefix"}
        if unknown:
            raise FaultSpecError(f"unknown fields: {sorted(unknown)}")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise FaultSpecError("failNext must be a non-negative integer")
        if not isinstance(fault.status, int) or not 400 <= fault.status <= 599:
            raise FaultSpecError("status must be an HTTP error status (400-599)")
        if fault.mode not in MODES or fault.when not in PHASES:
            raise FaultSpecError(f"mode must be one of {MODES} and when one of {PHASES}")
        if not isinstance(fault.hang_ms, int) or fault.hang_ms < 0:
            raise FaultSpecError("hangMs must be a non-negative integer")
        if not isinstance(fault.path_prefix, str):
            raise FaultSpecError("pathPrefix must be a string")
        return count, fault

    def describe(self) -> dict[str, Any]:
        """The fault as the control API shows it."""
        raw = asdict(self)
        return {
            "status": raw["status"],
            "mode": raw["mode"],
            "when": raw["when"],
            "hangMs": raw["hang_ms"],
            "pathPrefix": raw["path_prefix"],
        }


class FaultPlan:
    """Armed faults, consumed one per matching API call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._remaining = 0
        self._fault = Fault()
        self._fired = 0

    def arm(self, count: int, fault: Fault) -> None:
        """Fail the next `count` matching calls with `fault` (replacing any armed fault)."""
        with self._lock:
            self._remaining, self._fault = count, fault

    def take(self, path: str) -> Fault | None:
        """The fault for this call, if one is armed for its path."""
        with self._lock:
            if self._remaining == 0 or not path.startswith(self._fault.path_prefix):
                return None
            self._remaining -= 1
            self._fired += 1
            return self._fault

    def clear(self) -> None:
        """Disarm."""
        with self._lock:
            self._remaining = 0

    def describe(self) -> dict[str, Any]:
        """What is armed and how many faults have fired."""
        with self._lock:
            return {"remaining": self._remaining, "fired": self._fired, **self._fault.describe()}
