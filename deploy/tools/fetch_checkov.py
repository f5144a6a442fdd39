"""Install `checkov` in a virtualenv of its own, cached: `python -m deploy.tools.fetch_checkov`.

checkov (PyPI) pins versions of packaging and other libraries that the project's own tools
need newer, so it never goes into the project's virtualenv: it gets `$TICKETING_TOOLS_DIR/
checkov-VERSION/` (default under `.run/tools/`). `$CHECKOV` names a checkov to use instead.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

from deploy.tools.fetch_helm import FetchError, tools_dir

CHECKOV_VERSION = "3.3.30"


def fetch() -> Path:
    """The checkov executable, installed on first use."""
    chosen = os.environ.get("CHECKOV")
    if chosen:
        return Path(chosen)
    folder = tools_dir() / f"checkov-{CHECKOV_VERSION}"
    folder.parent.mkdir(parents=True, exist_ok=True)
    # Test workers ask at the same moment: one installs, the others wait and reuse it.
    with open(folder.parent / f"checkov-{CHECKOV_VERSION}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _installed(folder)


def _installed(folder: Path) -> Path:
    binary = folder / "bin" / "checkov"
    done = folder / "installed"
    if done.is_file() and binary.is_file():
        return binary
    # Scripts in a virtualenv name its folder, so it is made in place; `installed` marks it whole.
    shutil.rmtree(folder, ignore_errors=True)
    steps = [
        [sys.executable, "-m", "venv", str(folder)],
        [
            str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet",
            "--disable-pip-version-check", f"checkov=={CHECKOV_VERSION}",
        ],
    ]  # fmt: skip
    for command in steps:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise FetchError(f"installing checkov failed: {result.stderr.strip()[-2000:]}")
    done.write_text(CHECKOV_VERSION + "\n")
    return binary


def main() -> int:
    try:
        print(fetch())
    except FetchError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
