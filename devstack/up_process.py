"""`python -m devstack.up` as a real subprocess of a test or a benchmark, output collected."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

from devstack.processes import descendants_of, terminate_all
from devstack.settings import PROJECT_ROOT

UP_LINE = "Ticketing is up:"


class UpProcess:
    """One run of `up` (or a module that wraps it); `stop` sends SIGTERM as an operator would."""

    def __init__(self, env: dict[str, str], module: str = "devstack.up") -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", module],
            cwd=PROJECT_ROOT,
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.lines: list[str] = []
        self.seen: set[int] = set()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.lines.append(raw.decode(errors="replace").rstrip())

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_until_up(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not any(line.startswith(UP_LINE) for line in self.lines):
            if self.process.poll() is not None:
                time.sleep(0.2)
                raise AssertionError(f"up exited with {self.process.returncode}:\n{self.output}")
            if time.monotonic() > deadline:
                raise AssertionError(f"up did not come up in {timeout}s:\n{self.output}")
            time.sleep(0.1)

    def descendants(self) -> list[int]:
        """Every process below `up` right now (remembered for cleanup)."""
        found = descendants_of(self.process.pid)
        self.seen.update(found)
        return found

    def stop(self, timeout: float = 90) -> int:
        """SIGTERM; SIGKILL `up` and whatever it left if it has not exited after `timeout`."""
        self.descendants()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.cleanup()
        return self.process.returncode

    def cleanup(self) -> None:
        """After a failed test: kill whatever is left so other tests are not disturbed."""
        if self.process.poll() is None:
            self.descendants()
            self.process.kill()
            self.process.wait()
        terminate_all(sorted(self.seen))
