"""PostgreSQL from the `pgserver` wheel's binaries, with its data under the run directory."""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

from devstack.probes import pid_alive, pid_from_file, port_answers, wait_for
from devstack.settings import LocalStackError

# initdb and postgres refuse to run as root; pgserver itself runs them as this system user.
ROOT_FALLBACK_USER = "pgserver"
INITDB_OPTIONS = ("-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync")


def binaries() -> Path:
    """The bin folder of the PostgreSQL build inside the pgserver wheel."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise LocalStackError("pgserver is not installed: pip install -e '.[local]'")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _ensure_system_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(name)


def _grant_traversal(path: Path) -> None:
    """Let other users pass through every folder above `path` (search bit only, no listing)."""
    for folder in path.parents:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)


class EmbeddedPostgres:
    """A PostgreSQL cluster in `folder`/data listening on 127.0.0.1:`port`, trust auth."""

    name = "PostgreSQL"

    def __init__(self, folder: Path, port: int, settings: tuple[str, ...] = ()) -> None:
        self.folder = folder
        self.settings = settings  # extra `name=value` server settings, e.g. max_connections
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.port = port
        self.user = ROOT_FALLBACK_USER if os.geteuid() == 0 else None

    @property
    def running_port(self) -> int:
        """The port of the running server (it may be an older run's), else the configured one."""
        try:
            return int((self.data / "postmaster.pid").read_text().splitlines()[3])
        except (OSError, ValueError, IndexError):
            return self.port

    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.running_port}/postgres"

    def initialised(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def initialise(self) -> None:
        """Create the cluster (first run only): UTF-8, C locale, trust for local connections."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.user is not None:
            account = _ensure_system_user(self.user)
            for path in (self.folder, binaries()):
                _grant_traversal(path)
            shutil.chown(self.folder, account.pw_uid, account.pw_gid)
        self._run("initdb", "-D", str(self.data), *INITDB_OPTIONS)

    def is_running(self) -> bool:
        pid = pid_from_file(self.data / "postmaster.pid")
        return pid is not None and pid_alive(pid) and port_answers("127.0.0.1", self.running_port)

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories="
        options += "".join(f" -c {setting}" for setting in self.settings)
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        wait_for("PostgreSQL accepting connections", self.is_running, timeout=30)

    def stop(self) -> None:
        if self.is_running():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def _run(self, program: str, *args: str) -> None:
        command = [str(binaries() / program), *args]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        # pg_ctl leaves the server behind in its own session, away from the terminal's Ctrl-C.
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            start_new_session=True,
            check=False,
        )
        if result.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise LocalStackError(f"{program} failed:\n{result.stdout}{result.stderr}{log}")
