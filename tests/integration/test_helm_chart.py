"""The Helm chart (deploy/helm/leadrelay) as users install it: `helm lint`, then `helm template` with
the shipped rules, read the way the compose test reads compose: each pod's environment (settings
ConfigMap + env + the Secrets of secrets.example.yaml) builds its service's settings without an
error, every Secret and key it references is defined, and no pod runs as root. Helm v4 comes from
`make helm` (built with Go from the module proxy, cached under .local/bin)."""

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.topology import SERVICES
from tests.support.deploy_vars import KNOWN_VARS, SETTINGS
from tests.support.stack import ROOT

CHART = ROOT / "deploy" / "helm" / "leadrelay"
HELM = ROOT / ".local" / "bin" / "helm"
RULES = ROOT / "config" / "leadrelay.yaml"
ALERTS = ROOT / "deploy" / "observability" / "alerts.yaml"
VARIANTS = {
    "sasl_ssl": [],
    "plaintext": ["--set", "kafka.securityProtocol=PLAINTEXT", "--set", "keda.enabled=false"],
    "mtls": ["--set", "kafka.securityProtocol=SSL", "--set", "kafka.caSecret=kafka-ca",
             "--set", "kafka.clientCertSecret=kafka-client", "--set", "postgres.caSecret=pg-ca"],
}  # fmt: skip


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    if not HELM.exists():
        subprocess.run(["make", "helm"], cwd=ROOT, check=True, capture_output=True, timeout=1200)
    return subprocess.run([str(HELM), *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def render(*extra: str) -> list[dict[str, Any]]:
    result = helm("template", "lr", str(CHART), "--set-file", f"rules.yaml={RULES}", *extra)
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def example_secrets() -> dict[str, dict[str, str]]:
    docs = yaml.safe_load_all((CHART / "secrets.example.yaml").read_text())
    return {d["metadata"]["name"]: dict(d["stringData"]) for d in docs if d}


def pods(docs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            found.append((doc["metadata"]["name"], doc["spec"]["template"]["spec"]))
    return found


def environment(
    container: dict[str, Any], docs: list[dict[str, Any]], secrets: dict[str, dict[str, str]]
) -> dict[str, str]:
    """What the container's process sees, with the example Secrets' values; fails on a reference to a
    ConfigMap, Secret or key that is not defined."""
    maps = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            assert name in maps, f"ConfigMap {name} is not rendered"
            env |= maps[name]
        else:
            name = source["secretRef"]["name"]
            assert name in secrets, f"Secret {name} is not defined in secrets.example.yaml"
            env |= secrets[name]
    for var in container.get("env") or []:
        if "value" in var:
            env[var["name"]] = var["value"]
        else:
            ref = var["valueFrom"]["secretKeyRef"]
            assert ref["key"] in secrets.get(ref["name"], {}), (
                f"{var['name']}: no key {ref['key']} in Secret {ref['name']}"
            )
            env[var["name"]] = secrets[ref["name"]][ref["key"]]
    return env


def test_helm_lint_passes() -> None:
    result = helm("lint", str(CHART), "--set-file", f"rules.yaml={RULES}")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_chart_refuses_to_render_without_rules() -> None:
    result = helm("template", "lr", str(CHART))
    assert result.returncode != 0 and "rules.yaml" in result.stderr


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_pod_gets_the_settings_it_requires_and_runs_as_non_root(
    variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = render(*VARIANTS[variant])
    secrets = example_secrets()
    deployments = {name for name, _ in pods(docs)}
    assert {f"leadrelay-{s.name}" for s in SERVICES} <= deployments
    for name, pod in pods(docs):
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0, name
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                assert volume["secret"]["secretName"], name
        for container in pod["containers"]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
            env = environment(container, docs, secrets)
            for var in env:
                assert not var.startswith("LEADRELAY_") or var in KNOWN_VARS, f"{name} sets unknown {var}"
            service = container["name"]
            if service in SETTINGS and variant != "mtls":  # mtls points at CA files only a cluster mounts
                for key in list(os.environ):
                    if key.startswith("LEADRELAY_"):
                        monkeypatch.delenv(key)
                for key, value in env.items():
                    monkeypatch.setenv(key, value)
                settings = SETTINGS[service]()
                assert settings.env == "production" and not settings.creates_topics, name


def test_provisioning_runs_as_hooks_before_the_deployments() -> None:
    docs = render()
    hooks = {d["metadata"]["name"].rsplit("-", 1)[0]: d["metadata"]["annotations"] for d in docs if d["kind"] == "Job"}
    assert set(hooks) == {"leadrelay-topics", "leadrelay-acl", "leadrelay-migrate"}
    for annotations in hooks.values():
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    weights = {name: int(a["helm.sh/hook-weight"]) for name, a in hooks.items()}
    assert weights["leadrelay-topics"] < weights["leadrelay-migrate"]
    config_maps = [d for d in docs if d["kind"] == "ConfigMap"]
    assert all(int(c["metadata"]["annotations"]["helm.sh/hook-weight"]) < min(weights.values()) for c in config_maps), (
        "the settings the hooks read exist before them"
    )
    budgets = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
    assert budgets and all(
        b["spec"] == {**b["spec"], "maxUnavailable": 1} and "minAvailable" not in b["spec"] for b in budgets
    )


def test_every_consumer_scales_on_the_lag_of_what_it_reads() -> None:
    docs = render("--set", "topics.prefix=prod.")
    scaled = {
        d["metadata"]["name"]: {(t["metadata"]["consumerGroup"], t["metadata"]["topic"]) for t in d["spec"]["triggers"]}
        for d in docs
        if d["kind"] == "ScaledObject"
    }
    for service in SERVICES:
        if service.reads:
            expected = {(f"prod.{service.name}", f"prod.{t.value}") for t in service.reads}
            assert scaled[f"leadrelay-{service.name}"] == expected, service.name
    auth = [d for d in docs if d["kind"] == "TriggerAuthentication"]
    assert auth and all(any(r["parameter"] == "password" for r in a["spec"]["secretTargetRef"]) for a in auth)


def test_monitoring_scrapes_with_the_key_and_alerts_as_deploy_observability_says() -> None:
    docs = render()
    [monitor] = [d for d in docs if d["kind"] == "ServiceMonitor"]
    [endpoint] = monitor["spec"]["endpoints"]
    credentials = endpoint["authorization"]["credentials"]
    assert credentials["key"] in example_secrets()[credentials["name"]]
    [rule] = [d for d in docs if d["kind"] == "PrometheusRule"]
    assert rule["spec"] == yaml.safe_load(ALERTS.read_text())
    [ingress] = [d for d in docs if d["kind"] == "Ingress"]
    paths = {p["path"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]}
    assert "/v1/webhooks/" in paths and "/console" in paths and not any("metrics" in p or "reports" in p for p in paths)


def test_no_secret_value_is_rendered() -> None:
    text = helm("template", "lr", str(CHART), "--set-file", f"rules.yaml={RULES}").stdout
    assert "kind: Secret" not in text
    for values in example_secrets().values():
        for value in values.values():
            assert len(value) < 12 or value not in text, "a secret's value reached the rendered manifests"


def test_helm_binary_is_the_pinned_v4() -> None:
    version = helm("version", "--short").stdout
    assert version.startswith("v4."), version
    assert Path(HELM).is_file()
