"""One-shot setup steps of docker-compose.yaml: the NGINX gateway configuration, dev keys.

python -m devstack.compose_support nginx-config DIR
python -m devstack.compose_support dev-keys DIR
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from deploy.gateway.routes import Route, RouteTable, Upstream
from deploy.nginx.render import write_config
from devstack.devkeys import ensure_dev_secrets
from devstack.services import SERVICES

CONTAINER_PORT = 8080  # every HTTP role of the image listens here (PORT)
LOOPBACK_LISTEN = "listen 127.0.0.1:"


def compose_routes(port: int = CONTAINER_PORT) -> RouteTable:
    """The local gateway's routes with compose service names (one container per service)."""
    routes = tuple(
        Route(service.prefix, Upstream(service.name, port))
        for service in SERVICES
        if service.prefix
    )
    web = next(service for service in SERVICES if service.prefix is None)
    return RouteTable(routes, Upstream(web.name, port))


def write_nginx_config(prefix: Path, port: int = CONTAINER_PORT) -> Path:
    """The local gateway's nginx.conf under `prefix`, listening on every interface of `port`."""
    config = write_config(prefix, compose_routes(), port)
    text = config.read_text()
    if text.count(LOOPBACK_LISTEN) != 1:
        raise SystemExit(f"{config}: expected one '{LOOPBACK_LISTEN}...' line to open up")
    # A container's loopback is its own: NGINX must listen where the published port arrives.
    config.write_text(text.replace(LOOPBACK_LISTEN, "listen "))
    return config


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.compose_support")
    parser.add_argument("step", choices=("nginx-config", "dev-keys"))
    parser.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    if args.step == "nginx-config":
        print(write_nginx_config(args.directory))
    else:
        secrets = ensure_dev_secrets(args.directory)
        print(secrets.public_key_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
