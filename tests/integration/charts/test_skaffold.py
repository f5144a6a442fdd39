"""skaffold.yaml points at things that exist: the Dockerfile, the charts, values, Services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.charts.conftest import ROOT, run_helm

CONFIG: dict[str, Any] = yaml.safe_load((ROOT / "skaffold.yaml").read_text())


def releases() -> list[dict[str, Any]]:
    main = CONFIG["deploy"]["helm"]["releases"]
    patched = [patch["value"] for profile in CONFIG["profiles"] for patch in profile["patches"]]
    return [*main, *patched]


def test_the_artifact_builds_with_the_project_dockerfile() -> None:
    (artifact,) = CONFIG["build"]["artifacts"]
    assert (ROOT / artifact["context"] / artifact["docker"]["dockerfile"]).is_file()


@pytest.mark.parametrize("release", releases(), ids=lambda release: release["chartPath"])
def test_each_release_renders_with_skaffold_image_and_serves_the_forwarded_ports(
    helm: str, stack_chart: Path, release: dict[str, Any]
) -> None:
    chart = ROOT / release["chartPath"]
    if chart.name == "ticketing-stack":
        chart = stack_chart  # without the registry dependencies
    args = ["template", release["name"], str(chart), "--namespace", release["namespace"]]
    for values in release.get("valuesFiles", []):
        args += ["-f", str(ROOT / values)]
    for key in release["setValueTemplates"]:
        value = "IfNotPresent" if key.endswith("pullPolicy") else "registry.local/ticketing-x"
        args += ["--set", f"{key}={value}"]
    manifests = [doc for doc in yaml.safe_load_all(run_helm(helm, *args).stdout) if doc]
    images = {
        container["image"]
        for doc in manifests
        if doc["kind"] == "Deployment"
        for container in doc["spec"]["template"]["spec"]["containers"]
    }
    assert images == {"registry.local/ticketing-x:registry.local/ticketing-x"}
    services = {doc["metadata"]["name"] for doc in manifests if doc["kind"] == "Service"}
    for forward in CONFIG["portForward"]:
        assert forward["resourceName"] in services
