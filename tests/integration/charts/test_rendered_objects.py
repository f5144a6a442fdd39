"""What the rendered chart must hold: probes, non-root, limits, routes, hooks, no secrets."""

from __future__ import annotations

import re

import pytest

from common.events.streams import EventSettings
from devstack.services import SERVICES, WORKERS
from tests.integration.charts.conftest import (
    RELEASE,
    Manifest,
    Render,
    env_of,
    named,
    of_kind,
    pod_specs,
)
from web.client import ApiClient
from web.config import WebSettings

FULLNAME = f"{RELEASE}-ticketing"
HTTP_SERVICES = [service.name for service in SERVICES]
CHART_WORKERS = {worker.name: worker for worker in WORKERS if not worker.stripe_standin}


@pytest.fixture(scope="module")
def defaults(render: Render) -> list[Manifest]:
    return render()


@pytest.fixture(scope="module")
def production(render: Render) -> list[Manifest]:
    return render(["values-production.yaml"])


@pytest.fixture(scope="module")
def development(render: Render) -> list[Manifest]:
    return render(["values-dev.yaml"])


@pytest.fixture(params=["defaults", "production", "development"])
def manifests(request: pytest.FixtureRequest) -> list[Manifest]:
    result: list[Manifest] = request.getfixturevalue(request.param)
    return result


def deployment(manifests: list[Manifest], component: str) -> Manifest:
    return named(manifests, "Deployment", f"{FULLNAME}-{component}")


def test_each_http_service_and_worker_of_the_local_stack_has_a_deployment(
    defaults: list[Manifest],
) -> None:
    names = {m["metadata"]["name"] for m in of_kind(defaults, "Deployment")}
    expected = {f"{FULLNAME}-{name}" for name in [*HTTP_SERVICES, *CHART_WORKERS]}
    assert names == expected


def test_each_worker_runs_the_local_stack_command_with_its_service_database(
    defaults: list[Manifest],
) -> None:
    for name, worker in CHART_WORKERS.items():
        container = deployment(defaults, name)["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == ["worker", name]
        database = env_of(container).get("DATABASE_URL")
        if worker.service is None:
            assert database is None, name
        else:
            assert database is not None, name
            assert database["valueFrom"]["secretKeyRef"]["key"] == worker.service, name


def test_every_http_container_has_liveness_readiness_and_startup_probes(
    manifests: list[Manifest],
) -> None:
    for service in HTTP_SERVICES:
        container = deployment(manifests, service)["spec"]["template"]["spec"]["containers"][0]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    for name, spec in pod_specs(manifests):
        for container in spec["containers"]:
            if container.get("ports"):
                assert container.get("livenessProbe") and container.get("readinessProbe"), name


def test_no_container_runs_as_root_or_can_escalate(manifests: list[Manifest]) -> None:
    for name, spec in pod_specs(manifests):
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] == 10001, name
        assert pod["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True and context["runAsUser"] != 0, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert "add" not in context["capabilities"], name


def test_every_container_has_cpu_and_memory_requests_and_limits(
    manifests: list[Manifest],
) -> None:
    for name, spec in pod_specs(manifests):
        for container in spec["containers"]:
            resources = container["resources"]
            for bound in ("requests", "limits"):
                assert set(resources[bound]) == {"cpu", "memory"}, (name, bound)


def test_a_read_only_root_gets_a_writable_tmp(manifests: list[Manifest]) -> None:
    for name, spec in pod_specs(manifests):
        if spec["containers"][0]["name"] == "smoke-test":
            continue  # python -c writes nothing
        volumes = {volume["name"]: volume for volume in spec["volumes"]}
        assert "emptyDir" in volumes["tmp"], name
        mounts = {mount["mountPath"] for mount in spec["containers"][0]["volumeMounts"]}
        assert "/tmp" in mounts, name


def test_the_ingress_routes_like_the_local_gateway(defaults: list[Manifest]) -> None:
    (ingress,) = of_kind(defaults, "Ingress")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    paths = ingress["spec"]["rules"][0]["http"]["paths"]
    routes = {path["path"]: path["backend"]["service"]["name"] for path in paths}
    kinds = {path["path"]: path["pathType"] for path in paths}
    expected = {service.prefix or "/": f"{FULLNAME}-{service.name}" for service in SERVICES}
    # API paths no service owns go to an API, whose error kernel answers 404 problem+json.
    expected["/api"] = f"{FULLNAME}-auth"
    assert routes == expected
    assert set(kinds.values()) == {"Prefix"}
    for service in of_kind(defaults, "Service"):
        assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_the_web_calls_each_api_through_its_service_with_no_proxy_hop(
    defaults: list[Manifest],
) -> None:
    (config,) = of_kind(defaults, "ConfigMap")
    assert "GATEWAY_URL" not in config["data"]
    # Keys come from Secrets (not rendered): a test-mode HS256 setup stands in for them.
    settings = WebSettings.from_env({**config["data"], "APP_ENV": "test", "JWT_ALGORITHM": "HS256"})
    client = ApiClient(settings.gateway_url, 1, 1, api_urls=settings.api_urls)
    for service in SERVICES:
        if service.prefix:
            base = client.base_for(f"{service.prefix}/anything")
            assert base == f"http://{FULLNAME}-{service.name}"
    client.close()


def test_the_event_settings_reach_every_container_as_the_code_reads_them(
    defaults: list[Manifest],
) -> None:
    (config,) = of_kind(defaults, "ConfigMap")
    settings = EventSettings.from_env(config["data"])
    assert (settings.stream, settings.max_deliver, settings.fetch_batch) == ("TICKETING", 10, 64)


def test_migrations_are_hook_jobs_one_per_service_database(production: list[Manifest]) -> None:
    jobs = of_kind(production, "Job")
    databases = [service.name for service in SERVICES if service.has_database]
    assert sorted(job["metadata"]["name"] for job in jobs) == sorted(
        f"{FULLNAME}-migrate-{name}" for name in databases
    )
    for job in jobs:
        annotations = job["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
        spec = job["spec"]["template"]["spec"]
        container = spec["containers"][0]
        service = container["args"][1]
        assert container["args"] == ["migrate", service]
        assert env_of(container)["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == service
        # The release's ServiceAccount is created after pre-install hooks: the Jobs bring theirs.
        account = named(production, "ServiceAccount", spec["serviceAccountName"])
        assert account["metadata"]["annotations"]["helm.sh/hook"] == annotations["helm.sh/hook"]
        assert int(account["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(
            annotations["helm.sh/hook-weight"]
        )


def test_the_stack_migrates_after_its_postgresql_is_installed(
    render: Render, stack_chart: object
) -> None:
    manifests = render(chart=stack_chart)
    for job in of_kind(manifests, "Job"):
        assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,pre-upgrade"
    databases = named(manifests, "Secret", "ticketing-databases")
    assert databases["stringData"]["auth"].startswith("postgresql+psycopg://postgres:")
    assert f"@{RELEASE}-postgresql:5432/ticketing_auth" in databases["stringData"]["auth"]


SECRET_NAMES = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY$|DATABASE_URL|REDIS_URL|NATS_URL")


def test_production_rendering_holds_no_secret_value(production: list[Manifest]) -> None:
    assert not of_kind(production, "Secret")
    for name, spec in pod_specs(production):
        for container in spec["containers"]:
            for variable, item in env_of(container).items():
                if variable.endswith("_FILE"):
                    assert item["value"].startswith("/var/run/secrets/ticketing/"), variable
                elif SECRET_NAMES.search(variable):
                    assert "value" not in item, (name, variable)
    (config,) = of_kind(production, "ConfigMap")
    assert config["data"]["APP_ENV"] == "production"
    assert not [key for key in config["data"] if SECRET_NAMES.search(key)]


def test_only_auth_can_read_the_signing_key(production: list[Manifest]) -> None:
    for name, spec in pod_specs(production):
        volumes = {volume["name"]: volume for volume in spec.get("volumes", [])}
        if "secrets" not in volumes:
            continue
        files = {
            item["path"]
            for source in volumes["secrets"]["projected"]["sources"]
            for item in source["secret"]["items"]
        }
        signer = name == f"Deployment/{FULLNAME}-auth"
        assert ("jwt-private.pem" in files) is signer, name
        assert "jwt-public.pem" in files, name
        assert ("stripe-api-key" in files) is ("payments" in name), name


def test_http_services_autoscale_and_have_disruption_budgets(production: list[Manifest]) -> None:
    hpas = {
        hpa["spec"]["scaleTargetRef"]["name"]
        for hpa in of_kind(production, "HorizontalPodAutoscaler")
    }
    budgets = {pdb["metadata"]["name"] for pdb in of_kind(production, "PodDisruptionBudget")}
    for service in HTTP_SERVICES:
        assert f"{FULLNAME}-{service}" in hpas
        assert f"{FULLNAME}-{service}" in budgets
        assert "replicas" not in deployment(production, service)["spec"]  # the HPA owns it


def test_development_generates_secrets_as_hooks_ahead_of_the_migrations(
    development: list[Manifest],
) -> None:
    secrets = of_kind(development, "Secret")
    assert {secret["metadata"]["name"] for secret in secrets} == {
        "ticketing-jwt", "ticketing-app", "ticketing-databases", "ticketing-redis",
        "ticketing-nats", "ticketing-stripe",
    }  # fmt: skip
    for secret in secrets:
        annotations = secret["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
        assert int(annotations["helm.sh/hook-weight"]) < -10
    (config,) = of_kind(development, "ConfigMap")
    assert config["data"]["APP_ENV"] == "development"
    assert config["data"]["JWT_ALGORITHM"] == "HS256"
    payments = deployment(development, "payments")["spec"]["template"]["spec"]["containers"][0]
    assert env_of(payments)["STRIPE_API_BASE"]["value"] == f"http://{FULLNAME}-stripe-standin"


def ingress_sources(policy: Manifest) -> list[Manifest]:
    return [peer for rule in policy["spec"].get("ingress", []) for peer in rule["from"]]


def test_network_policies_deny_by_default_and_admit_the_ingress_controller(
    defaults: list[Manifest],
) -> None:
    policies = {p["metadata"]["name"]: p for p in of_kind(defaults, "NetworkPolicy")}
    deny = policies[f"{FULLNAME}-default-deny"]["spec"]
    assert deny["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in deny and "egress" not in deny
    controller = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}
    }
    assert ingress_sources(policies[f"{FULLNAME}-web"]) == [controller]
    apis = policies[f"{FULLNAME}-apis"]
    assert apis["spec"]["podSelector"]["matchExpressions"][0]["values"] == [
        "auth", "tickets", "orders", "payments", "webhooks",
    ]  # fmt: skip
    sources = ingress_sources(apis)
    assert sources[0] == controller
    assert sources[1]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "web"
    egress = policies[f"{FULLNAME}-egress"]["spec"]["egress"]
    ports = {port["port"] for rule in egress for port in rule["ports"]}
    assert {53, 5432, 6379, 4222} <= ports
    stripe = policies[f"{FULLNAME}-stripe-egress"]["spec"]
    assert stripe["egress"][0]["ports"] == [{"port": 443, "protocol": "TCP"}]
    assert "payments" in stripe["podSelector"]["matchExpressions"][0]["values"]
    webhooks = policies[f"{FULLNAME}-webhook-egress"]["spec"]
    assert webhooks["podSelector"]["matchExpressions"][0]["values"] == ["webhooks-dispatcher"]
    [internet] = webhooks["egress"][0]["to"]
    assert {"10.0.0.0/8", "169.254.0.0/16", "127.0.0.0/8"} <= set(internet["ipBlock"]["except"])


def test_the_helm_test_pod_runs_the_smoke_test_through_the_ingress_controller(
    defaults: list[Manifest],
) -> None:
    (pod,) = of_kind(defaults, "Pod")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    container = pod["spec"]["containers"][0]
    assert container["command"] == ["python", "-c"]
    assert "/api/nope" in container["args"][0] and "/api/users/currentuser" in container["args"][0]
    assert env_of(container)["INGRESS_URL"]["value"].startswith("http://ingress-nginx-controller.")


def test_the_service_account_mounts_no_token(defaults: list[Manifest]) -> None:
    for account in of_kind(defaults, "ServiceAccount"):
        assert account["automountServiceAccountToken"] is False


def test_the_ingress_keeps_upstream_connections_alive_and_services_bound_their_waits(
    defaults: list[Manifest], render: Render
) -> None:
    (ingress,) = of_kind(defaults, "Ingress")
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-http-version"] == "1.1"
    # Snippets are off in ingress-nginx by default: the stamp is opt-in here.
    assert "nginx.ingress.kubernetes.io/configuration-snippet" not in annotations
    for name in HTTP_SERVICES:
        container = deployment(defaults, name)["spec"]["template"]["spec"]["containers"][0]
        assert env_of(container)["ADMISSION_MAX_WAIT_SECONDS"]["value"] == "1"
    (stamped,) = of_kind(render(sets=["ingress.requestStartSnippet=true"]), "Ingress")
    annotations = stamped["metadata"]["annotations"]
    snippet = annotations["nginx.ingress.kubernetes.io/configuration-snippet"]
    assert snippet == 'proxy_set_header X-Request-Start "t=${msec}";'
