"""The GitHub workflows run what .ci/run runs and release what the chart and Dockerfile define."""

from __future__ import annotations

from typing import Any

import yaml

from tests.integration.charts.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return document


def commands(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_pull_requests_run_ci_with_real_data_stores() -> None:
    ci = load("ci.yaml")
    assert "pull_request" in ci[True]  # YAML 1.1 reads the `on` key as True
    tests = ci["jobs"]["tests"]
    assert {"postgres", "redis"} <= set(tests["services"])
    assert "nats" in commands(tests) and " -js" in commands(tests)
    assert "bash .ci/run" in commands(tests)
    assert "make lint" in commands(ci["jobs"]["lint"])
    assert "dependency build charts/ticketing-stack" in commands(ci["jobs"]["stack-chart"])


def test_main_builds_the_image_and_packages_the_chart() -> None:
    release = load("release.yaml")
    assert release[True]["push"]["branches"] == ["main"]
    build = next(
        step for step in release["jobs"]["image"]["steps"] if "build-push" in step.get("uses", "")
    )
    assert build["with"]["file"] == "deploy/docker/Dockerfile"
    assert (ROOT / build["with"]["file"]).is_file()
    assert "package charts/ticketing" in commands(release["jobs"]["chart"])
    assert release["permissions"] == {"contents": "read", "packages": "write"}
