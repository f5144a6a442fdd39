"""docker-compose.yaml for docker-compose v1 (Debian's), which refuses the top-level `name`.

    python -m deploy.docker.compose_files /tmp/ticketing-compose.yaml
    docker-compose -p ticketing --project-directory . -f /tmp/ticketing-compose.yaml \\
        -f deploy/docker/compose.local-images.yaml up -d

The project name then comes from `-p`. Everything else is the same file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yaml"


def compose_v1(destination: Path) -> Path:
    """Write docker-compose.yaml without the keys docker-compose v1 does not know."""
    document: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    document.pop("name", None)
    destination.write_text(yaml.safe_dump(document, sort_keys=False))
    return destination


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m deploy.docker.compose_files DESTINATION", file=sys.stderr)
        return 2
    print(compose_v1(Path(args[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
