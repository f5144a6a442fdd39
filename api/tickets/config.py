"""Settings of the tickets service."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from common.config import ServiceSettings


@dataclass(frozen=True)
class TicketsSettings:
    """The shared service settings; tickets needs nothing beyond them yet."""

    service: ServiceSettings

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TicketsSettings:
        return cls(service=ServiceSettings.from_env("tickets", environ))
