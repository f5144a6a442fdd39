"""Settings of the orders service beyond the shared ones."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from common.config import Env, ServiceSettings
from common.errors import ConfigurationError


@dataclass(frozen=True)
class FairShare:
    """How much of an on-sale one buyer may take (docs/on-sale.md explains the defaults)."""

    # Live (unpaid) orders one buyer may hold at once; 0 turns the cap off.
    max_live_per_buyer: int = 2
    # Reservation attempts per buyer and per client address in each window.
    attempts_per_buyer: int = 10
    attempts_per_address: int = 120
    attempts_window_seconds: int = 10

    @classmethod
    def from_env(cls, env: Env) -> FairShare:
        share = cls(
            max_live_per_buyer=env.int("ORDERS_MAX_LIVE_PER_BUYER", cls.max_live_per_buyer),
            attempts_per_buyer=env.int("ORDERS_ATTEMPTS_PER_BUYER", cls.attempts_per_buyer),
            attempts_per_address=env.int("ORDERS_ATTEMPTS_PER_ADDRESS", cls.attempts_per_address),
            attempts_window_seconds=env.int(
                "ORDERS_ATTEMPTS_WINDOW_SECONDS", cls.attempts_window_seconds
            ),
        )
        if min(share.max_live_per_buyer, share.attempts_per_buyer, share.attempts_per_address) < 0:
            raise ConfigurationError("ORDERS_MAX_LIVE_PER_BUYER and ORDERS_ATTEMPTS_* must be >= 0")
        if share.attempts_window_seconds <= 0:
            raise ConfigurationError("ORDERS_ATTEMPTS_WINDOW_SECONDS must be positive")
        return share


@dataclass(frozen=True)
class WaitingRoomSettings:
    """The virtual waiting room in front of reservations (api/orders/waiting_room.py)."""

    enabled: bool = True
    # Buyers let through per second, and how many may arrive at once before a line forms.
    admission_rate: float = 40.0
    burst: int = 40
    # An admitted buyer reserves freely this long; a buyer in line who does not come back
    # (page refresh, retry) within keep_seconds loses the place.
    pass_seconds: int = 60
    keep_seconds: int = 30

    @classmethod
    def from_env(cls, env: Env) -> WaitingRoomSettings:
        rate_raw = env.str("WAITING_ROOM_ADMISSION_RATE", str(cls.admission_rate))
        try:
            rate = float(rate_raw)
        except ValueError as exc:
            raise ConfigurationError(
                f"WAITING_ROOM_ADMISSION_RATE must be a number: {rate_raw!r}"
            ) from exc
        settings = cls(
            enabled=env.bool("WAITING_ROOM_ENABLED", cls.enabled),
            admission_rate=rate,
            burst=env.int("WAITING_ROOM_BURST", max(1, round(rate))),
            pass_seconds=env.int("WAITING_ROOM_PASS_SECONDS", cls.pass_seconds),
            keep_seconds=env.int("WAITING_ROOM_KEEP_SECONDS", cls.keep_seconds),
        )
        if settings.admission_rate <= 0 or settings.burst < 1:
            raise ConfigurationError("WAITING_ROOM_ADMISSION_RATE and _BURST must be positive")
        if settings.pass_seconds <= 0 or settings.keep_seconds <= 0:
            raise ConfigurationError("WAITING_ROOM_PASS_SECONDS and _KEEP_SECONDS must be positive")
        return settings


@dataclass(frozen=True)
class OrdersSettings:
    """The shared settings; ORDER_EXPIRATION_SECONDS is how long an order holds its ticket."""

    service: ServiceSettings
    fair_share: FairShare = FairShare()
    waiting_room: WaitingRoomSettings = WaitingRoomSettings()

    @property
    def order_expiration_seconds(self) -> int:
        return self.service.order_expiration_seconds

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> OrdersSettings:
        service = ServiceSettings.from_env("orders", environ)
        if service.order_expiration_seconds <= 0:
            raise ConfigurationError("ORDER_EXPIRATION_SECONDS must be positive")
        env = Env(environ)
        return cls(
            service=service,
            fair_share=FairShare.from_env(env),
            waiting_room=WaitingRoomSettings.from_env(env),
        )
