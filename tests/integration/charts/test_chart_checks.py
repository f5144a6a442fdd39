"""helm lint, kubernetes-validate --strict of every rendering, and the values schema."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.charts.conftest import (
    CHART,
    KUBERNETES_VERSIONS,
    STACK,
    run_helm,
    template_args,
)

RENDERINGS = {
    "defaults": [],
    "production": ["values-production.yaml"],
    "development": ["values-dev.yaml"],
}


@pytest.mark.parametrize("values", RENDERINGS.values(), ids=RENDERINGS.keys())
def test_chart_lints_cleanly(helm: str, values: list[str]) -> None:
    args = ["lint", str(CHART), "--strict"]
    for path in values:
        args += ["-f", str(CHART / path)]
    result = run_helm(helm, *args)
    assert "0 chart(s) failed" in result.stdout


def test_stack_chart_lints_with_only_its_dependencies_missing(helm: str) -> None:
    result = run_helm(helm, "lint", str(STACK))
    assert "0 chart(s) failed" in result.stdout
    assert "missing these dependencies: ticketing,postgresql,redis,nats" in result.stdout


def validate(
    kubernetes_validate: list[str], manifests: str, folder: Path, version: str
) -> subprocess.CompletedProcess[str]:
    rendered = folder / f"rendered-{version}.yaml"
    rendered.write_text(manifests)
    command = [*kubernetes_validate, "--strict", "--quiet", "-k", version, str(rendered)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("values", RENDERINGS.values(), ids=RENDERINGS.keys())
def test_every_rendered_manifest_is_valid_kubernetes(
    render_text: Callable[..., str],
    kubernetes_validate: list[str],
    tmp_path: Path,
    values: list[str],
    version: str,
) -> None:
    result = validate(kubernetes_validate, render_text(values), tmp_path, version)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_the_self_contained_stack_renders_valid_kubernetes(
    render_text: Callable[..., str],
    kubernetes_validate: list[str],
    stack_chart: Path,
    tmp_path: Path,
    version: str,
) -> None:
    result = validate(kubernetes_validate, render_text(chart=stack_chart), tmp_path, version)
    assert result.returncode == 0, result.stdout + result.stderr


def test_validation_catches_a_broken_manifest(
    kubernetes_validate: list[str], tmp_path: Path
) -> None:
    broken = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n"
        "  replicas: two\n  selector: {matchLabels: {a: b}}\n"
        "  template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i}]}}\n"
    )
    assert validate(kubernetes_validate, broken, tmp_path, KUBERNETES_VERSIONS[-1]).returncode


BAD_VALUES = {
    "replicas as a word": (["http.replicas=two"], "/http/replicas"),
    "an unknown top-level key": (["replicaCount=2"], "additional properties 'replicaCount'"),
    "an unknown service setting": (["services.auth.port=80"], "additional properties 'port'"),
    "a pull policy Kubernetes lacks": (["image.pullPolicy=Sometimes"], "/image/pullPolicy"),
    "a CPU limit that is no quantity": (["http.resources.limits.cpu=lots"], "limits/cpu"),
    "a worker of another service": (["workers.orders-sweep.service=billing"], "orders-sweep"),
    "an unknown log level": (["config.logLevel=LOUD"], "/config/logLevel"),
    "an unknown JWT algorithm": (["config.jwt.algorithm=none"], "/config/jwt/algorithm"),
    "a digest that is not sha256": (["image.digest=latest"], "/image/digest"),
    "generated secrets in production": (["secrets.create=true"], "/secrets/create"),
    "the Stripe stand-in in production": (["stripeStandin.enabled=true"], "/stripeStandin"),
    "insecure cookies in production": (["config.jwt.cookieSecure=false"], "cookieSecure"),
    "a secret name with capitals": (["secrets.jwt.name=JWT"], "/secrets/jwt/name"),
    "a missing resource limit": (["http.resources.limits=null"], "limits"),
}


@pytest.mark.parametrize("sets,message", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_schema_rejects_bad_values(helm: str, sets: list[str], message: str) -> None:
    result = run_helm(helm, *template_args(CHART, (), sets), check=False)
    assert result.returncode != 0, f"accepted {sets}"
    assert "schema" in result.stderr
    assert message in result.stderr


def test_tls_without_a_certificate_secret_is_refused(helm: str) -> None:
    result = run_helm(helm, *template_args(CHART, (), ["ingress.tls.enabled=true"]), check=False)
    assert result.returncode != 0
    assert "ingress.tls.enabled needs ingress.tls.secretName" in result.stderr


def test_development_values_are_accepted_only_outside_production(helm: str) -> None:
    sets = ["global.production=true"]
    result = run_helm(helm, *template_args(CHART, ["values-dev.yaml"], sets), check=False)
    assert result.returncode != 0
    assert "/secrets/create" in result.stderr


TOGGLES = {
    "no payments": ["services.payments.enabled=false", "workers.payments-actors.enabled=false"],
    "no policies, ingress or migrations": [
        "networkPolicy.enabled=false", "ingress.enabled=false", "migrations.enabled=false",
    ],
    "existing service account": ["serviceAccount.create=false", "serviceAccount.name=ticketing"],
    "no autoscaling or budgets": ["http.autoscaling.enabled=false", "http.pdb.enabled=false"],
    "HS256 with referenced secrets": ["config.jwt.algorithm=HS256"],
    "TLS with a host": [
        "ingress.tls.enabled=true", "ingress.tls.secretName=tls", "ingress.host=t.example.com",
    ],
}  # fmt: skip


@pytest.mark.parametrize("sets", TOGGLES.values(), ids=TOGGLES.keys())
def test_optional_parts_switch_off_and_still_render_valid_kubernetes(
    render_text: Callable[..., str],
    kubernetes_validate: list[str],
    tmp_path: Path,
    sets: list[str],
) -> None:
    result = validate(kubernetes_validate, render_text((), sets), tmp_path, KUBERNETES_VERSIONS[-1])
    assert result.returncode == 0, result.stdout + result.stderr
