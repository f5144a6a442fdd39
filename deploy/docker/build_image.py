"""Build the image where no container registry is reachable: `python -m deploy.docker.build_image`.

The Dockerfile's base (PYTHON_IMAGE, python:3.11-slim-bookworm by default) cannot be pulled
here, so a base is assembled from Debian packages with mmdebstrap and `docker import`ed, then
passed as the build argument. So is the image docker-compose's data stores and gateway run
from (deploy/docker/compose.local-images.yaml). Both are made once and reused. The host's CA
bundle goes into the base so pip reaches the package index through the same proxy the host
does. Prints what it built, how long each step took and the image's size, as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PYTHON_BASE = "local/debian-python:3.11"
INFRA_IMAGE = "local/debian-infra:bookworm"
IMAGE = "ticketing:dev"
PYTHON_PACKAGES = ("python3.11", "python3.11-venv", "python-is-python3", "ca-certificates")
INFRA_PACKAGES = (
    "postgresql-15",
    "redis-server",
    "redis-tools",
    "nats-server",
    "nginx-light",
    "wget",
    "ca-certificates",
)
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


class BuildError(RuntimeError):
    """A step of the build failed; the message holds the end of its output."""


def run(command: Sequence[str], *, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        list(command), capture_output=True, text=True, check=False, env=env, cwd=PROJECT_ROOT
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-3000:]
        raise BuildError(f"{' '.join(command[:3])} ... failed:\n{output}")
    return result.stdout


def image_exists(tag: str) -> bool:
    result = subprocess.run(["docker", "image", "inspect", tag], capture_output=True, check=False)
    return result.returncode == 0


def debian_image(tag: str, packages: Sequence[str], with_host_ca: bool) -> None:
    """mmdebstrap a minimal bookworm with `packages` and import it as `tag`."""
    with tempfile.TemporaryDirectory(prefix="ticketing-base-") as folder:
        tarball = Path(folder) / "rootfs.tar"
        command = ["mmdebstrap", "--variant=minbase", f"--include={','.join(packages)}"]
        if with_host_ca and HOST_CA_BUNDLE.is_file():
            command.append(f"--customize-hook=copy-in {HOST_CA_BUNDLE} /etc/ssl/certs")
        run([*command, "bookworm", str(tarball)])
        run(["docker", "import", str(tarball), tag])


def image_size(tag: str) -> int:
    return int(run(["docker", "image", "inspect", "--format", "{{.Size}}", tag]).strip())


def build(
    image: str, base: str, infra: str, rebuild_bases: bool, with_devtools: bool = False
) -> dict[str, object]:
    """Make the bases if missing (or asked), then the image; seconds per step and the size.

    `with_devtools` builds the development image docker-compose runs (the Stripe stand-in and
    the compose helpers); without it, the production image, which has neither.
    """
    timings: dict[str, float] = {}
    for tag, packages, with_ca in ((base, PYTHON_PACKAGES, True), (infra, INFRA_PACKAGES, False)):
        if rebuild_bases or not image_exists(tag):
            started = time.monotonic()
            debian_image(tag, packages, with_ca)
            timings[tag] = round(time.monotonic() - started, 1)
    started = time.monotonic()
    # The classic builder: Debian's docker.io has no buildx, and BuildKit's `# syntax` would
    # pull a frontend image from a registry. --network host: pip reaches the index as the host.
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    run(
        [
            "docker", "build", "--network", "host", "--build-arg", f"PYTHON_IMAGE={base}",
            "--build-arg", f"WITH_DEVTOOLS={'true' if with_devtools else 'false'}",
            "-f", "deploy/docker/Dockerfile", "-t", image, ".",
        ],
        env=env,
    )  # fmt: skip
    timings[image] = round(time.monotonic() - started, 1)
    return {"image": image, "base": base, "infra": infra, "seconds": timings,
            "sizeBytes": image_size(image)}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default=IMAGE)
    parser.add_argument("--base", default=PYTHON_BASE)
    parser.add_argument("--infra", default=INFRA_IMAGE)
    parser.add_argument("--rebuild-bases", action="store_true")
    parser.add_argument(
        "--with-devtools",
        action="store_true",
        help="the development image docker-compose runs (with the Stripe stand-in)",
    )
    args = parser.parse_args(argv)
    try:
        report = build(args.image, args.base, args.infra, args.rebuild_bases, args.with_devtools)
    except BuildError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
