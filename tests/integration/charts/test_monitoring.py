"""Worker probes, the ServiceMonitor, the alerts and the dashboard the chart renders."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from devstack.services import WORKERS
from tests.integration.charts.conftest import ROOT, Manifest, Render, named, of_kind

MONITORING = [
    "metrics.serviceMonitor.enabled=true",
    "metrics.prometheusRule.enabled=true",
    "metrics.grafanaDashboard.enabled=true",
    "networkPolicy.metricsNamespace=monitoring",
]
SOURCES = ("common", "workers", "api")
METRIC = re.compile(r"\b(ticketing_[a-z_]+|http_request[a-z_]+)")


def source_text() -> str:
    return "\n".join(
        path.read_text() for folder in SOURCES for path in (ROOT / folder).rglob("*.py")
    )


def defined(metric: str, source: str) -> bool:
    """Whether the code defines the metric (histograms and counters add suffixes)."""
    base = re.sub(r"_(bucket|sum|count|total)$", "", metric)
    return f'"{metric}"' in source or f'"{base}"' in source or f'"{base}_total"' in source


def worker_deployments(manifests: list[Manifest]) -> list[Manifest]:
    names = {f"rel-ticketing-{w.name}" for w in WORKERS if not w.stripe_standin}
    return [d for d in of_kind(manifests, "Deployment") if d["metadata"]["name"] in names]


@pytest.mark.parametrize("values", [[], ["values-production.yaml"]])
def test_every_worker_has_heartbeat_liveness_readiness_and_startup_probes(
    render: Render, values: list[str]
) -> None:
    workers = worker_deployments(render(values))
    assert len(workers) == 13
    for deployment in workers:
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        (port,) = container["ports"]
        assert port["name"] == "health"
        env = {item["name"]: item.get("value") for item in container["env"]}
        assert env["WORKER_HEALTH_PORT"] == str(port["containerPort"])
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
        assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert labels["ticketing.io/role"] == "worker"


def test_monitoring_objects_are_off_by_default(render: Render) -> None:
    kinds = {m["kind"] for m in render()}
    assert not kinds & {"ServiceMonitor", "PrometheusRule"}


def test_the_service_monitor_scrapes_the_http_services_and_the_workers(render: Render) -> None:
    manifests = render(sets=MONITORING)
    (monitor,) = of_kind(manifests, "ServiceMonitor")
    ports = {endpoint["port"] for endpoint in monitor["spec"]["endpoints"]}
    assert ports == {"http", "health"}
    workers = named(manifests, "Service", "rel-ticketing-workers")
    assert workers["spec"]["clusterIP"] == "None"
    selector = workers["spec"]["selector"]
    for deployment in worker_deployments(manifests):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items()
    policy = named(manifests, "NetworkPolicy", "rel-ticketing-workers")
    assert policy["spec"]["ingress"][0]["ports"] == [{"port": "health", "protocol": "TCP"}]


def test_the_alerts_cover_the_saga_and_use_metrics_the_code_defines(render: Render) -> None:
    (rule,) = of_kind(render(sets=MONITORING), "PrometheusRule")
    alerts = {r["alert"]: r for group in rule["spec"]["groups"] for r in group["rules"]}
    assert {
        "TicketingSagaRunsStuck",
        "TicketingDeadLetters",
        "TicketingOutboxBacklogOld",
        "TicketingConsumerLag",
        "TicketingHttp5xxRate",
    } <= alerts.keys()
    source = source_text()
    for name, alert in alerts.items():
        for metric in METRIC.findall(alert["expr"]):
            assert defined(metric, source), f"{name} uses {metric}, which no code defines"
    assert "{{ $labels.service }}" in alerts["TicketingDeadLetters"]["annotations"]["summary"]


def test_the_dashboard_is_json_in_a_labelled_config_map_over_defined_metrics(
    render: Render,
) -> None:
    config_map = named(render(sets=MONITORING), "ConfigMap", "rel-ticketing-dashboard")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(config_map["data"]["ticketing-saga.json"])
    assert dashboard["uid"] == "ticketing-saga"
    source = source_text()
    expressions = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(expressions) >= 10
    for expression in expressions:
        for metric in METRIC.findall(expression):
            assert defined(metric, source), f"the dashboard uses {metric}, which no code defines"


def test_the_dashboard_file_is_the_one_the_chart_ships() -> None:
    path = Path(ROOT / "charts" / "ticketing" / "files" / "dashboards" / "saga.json")
    assert json.loads(path.read_text())["panels"]
