"""The faults: SIGKILL one process of a kind, found by its command line among up's descendants."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

import psutil

from bench.faults.stack import Stack


@dataclass(frozen=True)
class Target:
    """A kind of process to kill: a description and how to recognise one by its command line."""

    label: str
    matches: Callable[[list[str], list[str]], bool]  # (its cmdline, its parent's cmdline)


def _has(cmdline: list[str], *parts: str) -> bool:
    joined = " ".join(cmdline)
    return all(part in joined for part in parts)


def dramatiq_worker(module: str) -> Target:
    """A forked Dramatiq worker process (the child of `dramatiq <module>`, running the actors)."""
    return Target(
        f"Dramatiq worker process of {module}",
        lambda own, parent: _has(own, "dramatiq", module) and _has(parent, "dramatiq", module),
    )


def module_process(module: str, *args: str) -> Target:
    """A `python -m module args` process (a relay or a consumer)."""
    return Target(
        f"{module} {' '.join(args)}".strip(),
        lambda own, parent: _has(own, "-m", module, *args) and not _has(parent, "-m", module),
    )


def gunicorn_worker(app: str) -> Target:
    """The gunicorn worker serving `app` (its master forks a new one)."""
    return Target(
        f"gunicorn worker of {app}",
        lambda own, parent: _has(own, "gunicorn", app) and _has(parent, "gunicorn", app),
    )


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return list(process.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []


def find(stack: Stack, target: Target) -> list[psutil.Process]:
    """The processes below `up` that match the target right now."""
    found = []
    for pid in stack.up.descendants():
        try:
            process = psutil.Process(pid)
            parent = process.parent()
        except psutil.NoSuchProcess:
            continue
        if target.matches(_cmdline(process), _cmdline(parent) if parent else []):
            found.append(process)
    return found


@dataclass(frozen=True)
class Kill:
    """One SIGKILL: what, which pid, when (seconds into the run), and how long until replaced."""

    label: str
    pid: int
    at: float
    replaced_after: float | None
    replacement_pid: int | None


def kill_one(stack: Stack, target: Target, started: float, timeout: float = 60) -> Kill:
    """SIGKILL one matching process and wait until a new one (restarted or re-forked) runs."""
    victims = find(stack, target)
    if not victims:
        raise RuntimeError(f"no process found for {target.label}")
    victim = victims[0]
    killed_at = time.monotonic()
    os.kill(victim.pid, signal.SIGKILL)
    deadline = killed_at + timeout
    while time.monotonic() < deadline:
        fresh = [p for p in find(stack, target) if p.pid != victim.pid]
        if fresh:
            return Kill(
                target.label,
                victim.pid,
                killed_at - started,
                time.monotonic() - killed_at,
                fresh[0].pid,
            )
        time.sleep(0.1)
    return Kill(target.label, victim.pid, killed_at - started, None, None)


def stall_one(stack: Stack, target: Target, seconds: float, started: float) -> str:
    """SIGSTOP one matching process for `seconds`, then SIGCONT (a frozen, not a dead, process)."""
    victims = find(stack, target)
    if not victims:
        raise RuntimeError(f"no process found for {target.label}")
    victim = victims[0]
    at = time.monotonic() - started
    os.kill(victim.pid, signal.SIGSTOP)
    try:
        time.sleep(seconds)
    finally:
        os.kill(victim.pid, signal.SIGCONT)
    return f"SIGSTOP {target.label} pid {victim.pid} at {at:.1f}s for {seconds:.0f}s, then SIGCONT"
