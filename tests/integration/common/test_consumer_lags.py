"""Consumer lag as operators read it, from the real NATS of the test suite."""

from __future__ import annotations

import uuid

from common.backlogs.consumers import read_consumer_lags
from tests.conftest import NATS_URL


def test_a_stream_not_made_yet_has_no_consumers_rather_than_an_error() -> None:
    # A fresh deployment: no relay or consumer has started, so the stream does not exist.
    assert read_consumer_lags(NATS_URL, f"NOT_MADE_{uuid.uuid4().hex[:8].upper()}") == []
