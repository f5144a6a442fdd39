"""`python -m devtools.stripe_standin`: run the Stripe stand-in until SIGINT or SIGTERM."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType

from devtools.stripe_standin.logs import log_json
from devtools.stripe_standin.server import StandinServer
from devtools.stripe_standin.settings import StandinSettings


def main(argv: list[str] | None = None) -> int:
    """Parse flags and the environment, serve, and stop cleanly on a signal."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    settings = StandinSettings.from_args(argv)
    server = StandinServer(settings)

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log_json(
        "listening",
        url=server.url,
        webhooks=settings.webhook.describe(),
        apiKeyRequired=settings.api_key is not None,
    )
    try:
        server.run()
    finally:
        server.server_close()
        server.webhooks.stop()
    log_json("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
