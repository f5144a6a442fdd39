"""honcho supervising the Procfile, and the line that says when the stack is up."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import honcho.manager
from honcho.environ import parse, parse_procfile
from honcho.manager import Manager
from honcho.printer import Printer

from devstack.procfile import GRACEFUL_TIMEOUT_SECONDS
from devstack.progress import say
from devstack.readiness import Probe, wait_until_ready

# honcho's exit code after it stopped everything because of Ctrl-C or SIGTERM.
STOPPED_BY_OPERATOR = frozenset({130, 143})


class ReadinessWatcher(threading.Thread):
    """Announces the stack once every probe passes; stops honcho if that never happens."""

    def __init__(self, probes: Sequence[Probe], timeout: float, url: str, started: float) -> None:
        super().__init__(name="readiness", daemon=True)
        self.probes = probes
        self.timeout = timeout
        self.url = url
        self.started = started
        self.cancelled = threading.Event()
        self.gave_up = False

    def run(self) -> None:
        failing = wait_until_ready(self.probes, self.timeout, self.cancelled)
        if self.cancelled.is_set():
            return
        if not failing:
            say(f"Ticketing is up: {self.url} (in {time.monotonic() - self.started:.1f}s)")
            return
        self.gave_up = True
        names = ", ".join(probe.name for probe in failing)
        say(f"==> not answering after {self.timeout:.0f}s: {names}; stopping")
        os.kill(os.getpid(), signal.SIGTERM)


def supervise(procfile: Path, env_file: Path, cwd: Path, watcher: ReadinessWatcher) -> int:
    """Run the Procfile until Ctrl-C/SIGTERM (0), or until a process exits or never answers (1)."""
    # honcho SIGKILLs five seconds after SIGTERM; let gunicorn finish in-flight requests first.
    honcho.manager.KILL_WAIT = GRACEFUL_TIMEOUT_SECONDS + 5
    manager = Manager(Printer(sys.stdout))
    environment = {**os.environ, **parse(env_file.read_text())}
    for name, command in parse_procfile(procfile.read_text()).processes.items():
        manager.add_process(name, command, env=environment, cwd=str(cwd))
    watcher.start()
    try:
        manager.loop()
    finally:
        watcher.cancelled.set()
    if watcher.gave_up:
        return 1
    if manager.returncode in STOPPED_BY_OPERATOR:
        return 0
    say(f"==> a process exited (code {manager.returncode}), so honcho stopped the others")
    return 1
