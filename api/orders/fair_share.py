"""A fair share of an on-sale: reservation attempts rate-limited per buyer and per address."""

from __future__ import annotations

import uuid

from api.orders.config import FairShare
from common.errors import FieldError, TooManyRequests
from common.ratelimit import Decision, RateLimiter


class TooManyAttempts(TooManyRequests):
    """A buyer or an address tried to reserve too often; Retry-After says when to try again."""

    default_detail = "Too many reservation attempts; try again in a few seconds."


class TooManyLiveOrders(TooManyRequests):
    """The buyer already holds the most unpaid orders one buyer may hold at once."""


def too_many_live_orders(cap: int, retry_after: int) -> TooManyLiveOrders:
    """The 429 of a buyer at the cap: what to do, and when a held order frees a slot."""
    orders = "order" if cap == 1 else "orders"
    detail = (
        f"You already hold {cap} unpaid {orders}, the most one buyer may hold at once. "
        "Pay for or cancel one to reserve another ticket."
    )
    return TooManyLiveOrders(
        detail, [FieldError(detail)], headers={"Retry-After": str(max(1, retry_after))}
    )


class ReservationLimits:
    """Counts each reservation attempt per buyer and per client address (fixed windows)."""

    def __init__(self, limiter: RateLimiter, share: FairShare) -> None:
        self.limiter, self.share = limiter, share

    def check(self, buyer_id: uuid.UUID, address: str | None) -> None:
        """Count this attempt; 429 with Retry-After when the buyer or the address is over."""
        window = self.share.attempts_window_seconds
        decisions: list[Decision] = []
        if self.share.attempts_per_address and address:
            decisions.append(
                self.limiter.hit(
                    f"address:{address}", limit=self.share.attempts_per_address, window=window
                )
            )
        if self.share.attempts_per_buyer:
            decisions.append(
                self.limiter.hit(
                    f"buyer:{buyer_id}", limit=self.share.attempts_per_buyer, window=window
                )
            )
        refused = [decision for decision in decisions if not decision.allowed]
        if refused:
            retry_after = max(decision.retry_after for decision in refused)
            detail = TooManyAttempts.default_detail
            raise TooManyAttempts(
                detail, [FieldError(detail)], headers={"Retry-After": str(retry_after)}
            )
