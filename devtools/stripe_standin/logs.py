"""One JSON object per log line."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

LOGGER = logging.getLogger("devtools.stripe_standin")


def log_json(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log `{"ts", "event", ...fields}` as one line of JSON."""
    if LOGGER.isEnabledFor(level):
        record = {"ts": round(time.time(), 3), "event": event, **fields}
        LOGGER.log(level, json.dumps(record, default=str))
