"""The bound on waiting, read from the environment (no web framework needed to read it)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from common.errors import ConfigurationError

DEFAULT_MAX_WAIT_SECONDS = 1.0


@dataclass(frozen=True)
class AdmissionSettings:
    """ADMISSION_MAX_WAIT_SECONDS (1) bounds every wait; ADMISSION_CONCURRENCY (0 = threads)."""

    max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS
    concurrency: int = 0

    @property
    def retry_after(self) -> int:
        """Seconds a shed client should wait before trying again."""
        return max(1, math.ceil(self.max_wait_seconds))

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> AdmissionSettings:
        raw = environ.get("ADMISSION_MAX_WAIT_SECONDS") or str(DEFAULT_MAX_WAIT_SECONDS)
        try:
            max_wait = float(raw)
        except ValueError as exc:
            raise ConfigurationError(
                f"ADMISSION_MAX_WAIT_SECONDS must be a number: {raw!r}"
            ) from exc
        if not 0 < max_wait <= 60:
            raise ConfigurationError("ADMISSION_MAX_WAIT_SECONDS must be above 0 and at most 60")
        raw_slots = environ.get("ADMISSION_CONCURRENCY") or "0"
        if not raw_slots.isdigit():
            raise ConfigurationError(f"ADMISSION_CONCURRENCY must be a whole number: {raw_slots!r}")
        return cls(max_wait_seconds=max_wait, concurrency=int(raw_slots))
