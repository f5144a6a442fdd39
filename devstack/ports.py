"""Free TCP ports for servers the tests start."""

from __future__ import annotations

import random
import socket

from devstack.services import STRIPE_STANDIN_PORT_OFFSET

# Below Linux's ephemeral range (32768+): outgoing connections of other processes would
# otherwise take a port in the moments between picking it and binding it.
LOW, HIGH = 20000, 32700
# A local stack's services listen on base + their offset, the Stripe stand-in's the last.
STACK_PORTS = STRIPE_STANDIN_PORT_OFFSET + 1


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


def free_port_block(size: int = STACK_PORTS) -> int:
    """The first of `size` consecutive free loopback ports, below the ephemeral range."""
    for _ in range(500):
        base = random.randint(LOW, HIGH - size)
        sockets: list[socket.socket] = []
        try:
            for port in range(base, base + size):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise AssertionError("no block of free ports below the ephemeral range")
