"""Small checks on ports and processes: does it answer, is it alive, wait until it does."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

from devstack.settings import LocalStackError


def port_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


def pid_from_file(path: Path) -> int | None:
    """The pid on the first line of a pid file, or None."""
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def wait_for(what: str, ready: Callable[[], bool], timeout: float, interval: float = 0.1) -> None:
    """Poll `ready` until it is true or raise after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise LocalStackError(f"{what} did not happen within {timeout:.0f}s")
        time.sleep(interval)
