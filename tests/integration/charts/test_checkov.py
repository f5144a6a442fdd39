"""checkov on the rendered chart: no failed check without a written reason."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.tools.fetch_checkov import fetch
from deploy.tools.fetch_helm import FetchError
from tests.integration.charts.conftest import CHART, unavailable

ACCEPTED: dict[str, dict[str, Any]] = yaml.safe_load((CHART / "checkov-accepted.yaml").read_text())
MONITORING = [
    "metrics.serviceMonitor.enabled=true",
    "metrics.prometheusRule.enabled=true",
    "metrics.grafanaDashboard.enabled=true",
    "networkPolicy.metricsNamespace=monitoring",
]
RENDERINGS = {
    "production": (["values-production.yaml"], MONITORING),
    "defaults": ([], []),
    "development": (["values-dev.yaml"], []),
}


@pytest.fixture(scope="session")
def checkov() -> str:
    try:
        return str(fetch())
    except (FetchError, OSError) as exc:
        unavailable(f"checkov is not available: {exc}")
        raise AssertionError("unreachable") from exc


def failed_checks(checkov: str, manifests: str, folder: Path) -> list[dict[str, Any]]:
    rendered = folder / "rendered.yaml"
    rendered.write_text(manifests)
    command = [
        checkov, "-f", str(rendered), "--framework", "kubernetes", "--quiet", "--compact",
        "--output", "json", "--skip-download",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    report = json.loads(result.stdout) if result.stdout.strip() else {}
    if isinstance(report, list):
        report = report[0]
    assert report.get("summary", {}).get("resource_count"), result.stderr[-2000:]
    return list(report.get("results", {}).get("failed_checks", []))


def accepted(check: dict[str, Any]) -> bool:
    entry = ACCEPTED.get(check["check_id"])
    if entry is None:
        return False
    kind, _, name = check["resource"].split(".", 2)
    kinds, names = entry.get("kinds"), entry.get("names")
    if kinds and kind not in kinds:
        return False
    return not names or any(name.endswith(suffix) for suffix in names)


def test_every_accepted_finding_has_a_reason() -> None:
    for check_id, entry in ACCEPTED.items():
        assert len(entry["reason"].split()) >= 8, check_id


@pytest.mark.parametrize("rendering", RENDERINGS.values(), ids=RENDERINGS.keys())
def test_checkov_finds_nothing_without_a_written_reason(
    checkov: str,
    render_text: Callable[..., str],
    tmp_path: Path,
    rendering: tuple[list[str], list[str]],
) -> None:
    values, sets = rendering
    failures = failed_checks(checkov, render_text(values, sets), tmp_path)
    unexplained = sorted(
        f"{check['check_id']} {check['check_name']}: {check['resource']}"
        for check in failures
        if not accepted(check)
    )
    assert not unexplained, "\n".join(unexplained)


def test_checkov_catches_a_worker_without_probes(
    checkov: str, render_text: Callable[..., str], tmp_path: Path
) -> None:
    documents = [d for d in yaml.safe_load_all(render_text(["values-production.yaml"])) if d]
    sweep = next(d for d in documents if d["metadata"]["name"].endswith("-orders-sweep"))
    for container in sweep["spec"]["template"]["spec"]["containers"]:
        del container["livenessProbe"], container["readinessProbe"]
    failures = failed_checks(checkov, yaml.safe_dump(sweep), tmp_path)
    assert {"CKV_K8S_8", "CKV_K8S_9"} <= {check["check_id"] for check in failures}
    assert not any(accepted(c) for c in failures if c["check_id"] in {"CKV_K8S_8", "CKV_K8S_9"})
