"""A supervisor for the fault run: the Procfile of `make up`, each process restarted when it dies.

honcho (what `make up` supervises with) stops every process as soon as one exits, which is
what a developer wants and the opposite of what a fault-injection run needs: after a
SIGKILL the platform must carry on, the way Kubernetes restarts a crashed container. This
supervisor runs the very same Procfile lines with the very same environment, writes each
process's output to `<run dir>/logs/<name>.log`, restarts any process that exits while the
stack is running (and says so on stdout), and on SIGTERM/Ctrl-C stops them all as honcho
does: SIGTERM, then SIGKILL after the graceful timeout.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from honcho.environ import parse, parse_procfile

from devstack.procfile import GRACEFUL_TIMEOUT_SECONDS
from devstack.progress import say
from devstack.supervisor import ReadinessWatcher

POLL_SECONDS = 0.2
RESTART_DELAY_SECONDS = 0.5
RESTARTED = "==> restarted"  # the line the fault run looks for


@dataclass
class Child:
    """One Procfile process: how to start it, and its current incarnation."""

    name: str
    command: str
    environment: dict[str, str]
    cwd: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    log: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        if self.log is None:
            self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            ["/bin/sh", "-c", self.command],
            cwd=self.cwd,
            env=self.environment,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.starts += 1

    def exited(self) -> int | None:
        """The exit code when the current incarnation has ended, else None."""
        return None if self.process is None else self.process.poll()

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signum)

    def close(self) -> None:
        if self.log is not None:
            self.log.close()
            self.log = None


def _children(procfile: Path, env_file: Path, cwd: Path) -> list[Child]:
    environment = {**os.environ, **parse(env_file.read_text())}
    logs = procfile.parent / "logs"
    logs.mkdir(exist_ok=True)
    return [
        Child(name, command, environment, cwd, logs / f"{name}.log")
        for name, command in parse_procfile(procfile.read_text()).processes.items()
    ]


def _stop_all(children: list[Child]) -> None:
    """SIGTERM everyone, then SIGKILL whoever is still there after the graceful timeout."""
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, signal.SIG_IGN)
    for child in children:
        child.signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACEFUL_TIMEOUT_SECONDS + 5
    while time.monotonic() < deadline and any(c.exited() is None for c in children):
        time.sleep(POLL_SECONDS)
    for child in children:
        child.signal(signal.SIGKILL)
        if child.process is not None:
            child.process.wait()
        child.close()


def supervise_restarting(
    procfile: Path, env_file: Path, cwd: Path, watcher: ReadinessWatcher
) -> int:
    """Run the Procfile until SIGTERM/Ctrl-C (0) or it never answers (1), restarting deaths."""
    children = _children(procfile, env_file, cwd)
    for child in children:
        child.start()
    watcher.start()
    try:
        while True:
            for child in children:
                code = child.exited()
                if code is None:
                    continue
                time.sleep(RESTART_DELAY_SECONDS)
                child.start()
                pid = child.process.pid if child.process else 0
                say(f"{RESTARTED} {child.name} (exit {code}, start {child.starts}, pid {pid})")
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        pass
    finally:
        watcher.cancelled.set()
        _stop_all(children)
    return 1 if watcher.gave_up else 0
