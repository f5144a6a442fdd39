"""Free TCP ports for servers the tests start."""

from __future__ import annotations

import random
import socket

# Below Linux's ephemeral range (32768+): outgoing connections of other processes would
# otherwise take a port in the moments between picking it and binding it.
LOW, HIGH = 20000, 32700


def free_port() -> int:
    """A port nothing listens on, on every interface, picked below the ephemeral range."""
    for _ in range(500):
        port = random.randint(LOW, HIGH)
        with socket.socket() as sock:
            try:
                sock.bind(("0.0.0.0", port))  # noqa: S104 (probing, nothing listens)
            except OSError:
                continue
            return port
    raise AssertionError("no free port below the ephemeral range")
