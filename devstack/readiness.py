"""Waiting until the gateway answers and every service's /healthz says 200."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

# Never send loopback probes through an HTTP proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Probe:
    """A URL that must answer: with 200, or with any HTTP status when `any_status`."""

    name: str
    url: str
    any_status: bool = False

    def passes(self) -> bool:
        try:
            with _OPENER.open(self.url, timeout=2) as response:
                return bool(response.status == 200 or self.any_status)
        except urllib.error.HTTPError:
            return self.any_status
        except OSError:
            return False


def wait_until_ready(
    probes: Sequence[Probe], timeout: float, cancelled: threading.Event
) -> list[Probe]:
    """Poll until every probe passes; return those still failing at the timeout or cancellation."""
    deadline = time.monotonic() + timeout
    pending = list(probes)
    while pending:
        pending = [probe for probe in pending if not probe.passes()]
        if pending and (cancelled.wait(0.2) or time.monotonic() > deadline):
            break
    return pending
