"""The `==> doing something ... ok 1.2s` lines `make up` prints."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class Step:
    """A step in progress; `note` adds a word to its result (e.g. "reused")."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def note(self, text: str) -> None:
        self.notes.append(text)


@contextmanager
def step(title: str) -> Iterator[Step]:
    """Print `==> title ...`, then `ok 1.2s` or `failed` when the block ends."""
    print(f"==> {title} ...", end=" ", flush=True)
    started = time.monotonic()
    current = Step()
    try:
        yield current
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        raise
    except BaseException:
        print("failed", flush=True)
        raise
    suffix = "".join(f" ({note})" for note in current.notes)
    print(f"ok {time.monotonic() - started:.1f}s{suffix}", flush=True)


def shown(path: Path) -> str:
    """A path relative to the working directory when it is below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def say(message: str) -> None:
    """Print a line of progress at once."""
    print(message, flush=True)
