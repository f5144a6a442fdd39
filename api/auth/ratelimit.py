"""Sign-in and sign-up limits on the shared rate limiter (common.ratelimit).

The policy (docs/security.md): every client address has a budget of attempts per minute;
wrong passwords for one account from one address earn that pair a doubling delay; an
account under attack from many addresses gives each address fewer free failures. No rule
ever refuses an address that has not failed, so the owner's right password from their own
address passes however hard the account is attacked elsewhere.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from common.errors import TooManyRequests
from common.ratelimit import Decision, RateLimiter


@dataclass(frozen=True)
class SigninPolicy:
    """How many attempts and failures are free, and how the delay grows after them."""

    ip_limit: int = 30
    ip_window: int = 60
    free_failures: int = 5
    failure_window: int = 15 * 60
    delay_seconds: int = 2
    max_delay_seconds: int = 15 * 60
    # Failures of one account from all addresses that put it "under attack".
    account_alarm_failures: int = 50

    def delay_after(self, failures: int, under_attack: bool) -> int:
        """Seconds a pair waits after its n-th failure: 0 while free, then doubling, capped."""
        free = 1 if under_attack else self.free_failures
        if failures < free:
            return 0
        doubled: int = self.delay_seconds * 2 ** min(failures - free, 30)
        return min(doubled, self.max_delay_seconds)


@dataclass(frozen=True)
class SignupPolicy:
    """New accounts per client address per window."""

    ip_limit: int = 20
    ip_window: int = 60 * 60


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _too_many(detail: str, decision: Decision) -> TooManyRequests:
    return TooManyRequests(detail, headers={"Retry-After": str(decision.retry_after)})


class SigninLimiter:
    """Attempts per address, a progressive delay per (email, address), an alarm per email."""

    def __init__(self, limiter: RateLimiter, policy: SigninPolicy) -> None:
        self._limiter, self.policy = limiter, policy

    def check(self, ip: str, email: str) -> None:
        """Count this attempt; 429 when the address is over budget or the pair must wait."""
        policy = self.policy
        attempt = self._limiter.hit(f"ip:{ip}", limit=policy.ip_limit, window=policy.ip_window)
        if not attempt.allowed:
            raise _too_many(
                "Too many sign-in attempts from your address; try again later.", attempt
            )
        wait = self._limiter.peek(
            f"wait:{_digest(email, ip)}", limit=1, window=policy.max_delay_seconds
        )
        if not wait.allowed:
            raise _too_many(
                "Too many wrong passwords for this account from your address; "
                f"wait {wait.retry_after} s.",
                wait,
            )

    def failed(self, ip: str, email: str) -> None:
        """A wrong password: count it for the pair and the account; start the pair's delay."""
        policy = self.policy
        pair = _digest(email, ip)
        account = self._limiter.hit(
            f"account:{_digest(email)}",
            limit=policy.account_alarm_failures,
            window=policy.failure_window,
        )
        failures = self._limiter.hit(
            f"failures:{pair}", limit=policy.free_failures, window=policy.failure_window
        ).count
        delay = policy.delay_after(failures, under_attack=not account.allowed)
        if delay:
            self._limiter.reset(f"wait:{pair}")
            self._limiter.hit(f"wait:{pair}", limit=1, window=delay)

    def succeeded(self, ip: str, email: str) -> None:
        """The right password clears the pair's failures and delay (not the account's alarm)."""
        pair = _digest(email, ip)
        self._limiter.reset(f"failures:{pair}")
        self._limiter.reset(f"wait:{pair}")


class SignupLimiter:
    """New accounts per client address."""

    def __init__(self, limiter: RateLimiter, policy: SignupPolicy) -> None:
        self._limiter, self.policy = limiter, policy

    def check(self, ip: str) -> None:
        """Count this sign-up; 429 when the address made too many accounts lately."""
        policy = self.policy
        decision = self._limiter.hit(f"ip:{ip}", limit=policy.ip_limit, window=policy.ip_window)
        if not decision.allowed:
            raise _too_many("Too many new accounts from your address; try again later.", decision)
