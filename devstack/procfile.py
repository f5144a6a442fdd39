"""The processes of the stack as a Procfile and an env file that honcho runs."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from devstack.files import write_private

GRACEFUL_TIMEOUT_SECONDS = 20
# Connections the kernel holds for gunicorn while it has no thread free (capped by
# net.core.somaxconn); a request that waits there too long is shed (common/http/admission.py).
LISTEN_BACKLOG = 4096


@dataclass(frozen=True)
class ProcessSpec:
    """One Procfile entry: a name, a command and the variables only this process gets."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)

    def procfile_line(self) -> str:
        assignments = [f"{name}={value}" for name, value in self.env.items()]
        command = ["env", *assignments, *self.argv] if assignments else list(self.argv)
        return f"{self.name}: exec {shlex.join(command)}"


def gunicorn_argv(
    python: str,
    app: str,
    port: int,
    threads: int = 8,
    *,
    workers: int = 1,
    worker_class: str = "gthread",
) -> list[str]:
    """gunicorn serving the app factory `app` on 127.0.0.1:`port`."""
    argv = [python, "-m", "gunicorn", "--no-control-socket", "-k", worker_class]
    if worker_class == "gthread":
        argv += ["--threads", str(threads)]
    return [
        *argv, "-w", str(workers), "-b", f"127.0.0.1:{port}",
        "--graceful-timeout", str(GRACEFUL_TIMEOUT_SECONDS), "--keep-alive", "5",
        "--backlog", str(LISTEN_BACKLOG), app,
    ]  # fmt: skip


def write_procfile(
    run_dir: Path, processes: Sequence[ProcessSpec], shared_env: Mapping[str, str]
) -> tuple[Path, Path]:
    """Write run_dir/Procfile and run_dir/env (both secret-bearing, owner-only)."""
    procfile, env_file = run_dir / "Procfile", run_dir / "env"
    header = f"# Written by `make up`; run again with: honcho -f {procfile} -e {env_file} start\n"
    write_private(procfile, header + "".join(f"{p.procfile_line()}\n" for p in processes))
    write_private(env_file, "".join(f"{k}={shlex.quote(v)}\n" for k, v in shared_env.items()))
    return procfile, env_file
