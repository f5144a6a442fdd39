"""`python -m bench.faults.up`: `make up` (devstack.up) with the restarting supervisor.

Everything else (infrastructure URLs, development keys, migrations, the Procfile and its
environment, the readiness probes and the "Ticketing is up" line) is `devstack.up`'s own.
"""

from __future__ import annotations

from bench.faults.restarter import supervise_restarting
from devstack import up


def main() -> int:
    # up.run() looks `supervise` up in its module when it runs: replace it there.
    up.supervise = supervise_restarting  # type: ignore[attr-defined]  # patched for the benchmark
    return up.main()


if __name__ == "__main__":
    raise SystemExit(main())
