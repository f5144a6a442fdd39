"""Settings of the orders service beyond the shared ones."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from common.config import ServiceSettings
from common.errors import ConfigurationError


@dataclass(frozen=True)
class OrdersSettings:
    """The shared settings; ORDER_EXPIRATION_SECONDS is how long an order holds its ticket."""

    service: ServiceSettings

    @property
    def order_expiration_seconds(self) -> int:
        return self.service.order_expiration_seconds

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> OrdersSettings:
        service = ServiceSettings.from_env("orders", environ)
        if service.order_expiration_seconds <= 0:
            raise ConfigurationError("ORDER_EXPIRATION_SECONDS must be positive")
        return cls(service=service)
