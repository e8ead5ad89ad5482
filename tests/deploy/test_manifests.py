"""The Kubernetes manifests in deploy/ are valid for the API server and wired the way the README says.

Validation is offline, against the Kubernetes OpenAPI schemas shipped with kubernetes-validate (strict:
an unknown or misspelt field is an error, as `kubectl apply --validate=strict` would make it).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.30.0"


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _all_objects() -> list[tuple[str, dict[str, Any]]]:
    objects = []
    for path in sorted(MANIFESTS.rglob("*.yaml")):
        for doc in _documents(path):
            if doc.get("kind") != "Kustomization":
                objects.append((str(path.relative_to(ROOT)), doc))
    return objects


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj.get("spec", {}).get("template", {}).get("spec", {})
    return list(spec.get("containers", []))


def _by_kind_and_name(kind: str, name: str) -> dict[str, Any]:
    for _path, obj in _all_objects():
        if obj["kind"] == kind and obj["metadata"]["name"] == name:
            return obj
    raise AssertionError(f"no {kind} {name} in deploy/kubernetes")


@pytest.mark.parametrize(("path", "obj"), _all_objects(), ids=lambda v: v if isinstance(v, str) else v["kind"])
def test_manifest_validates_against_the_kubernetes_schema(path: str, obj: dict[str, Any]) -> None:
    # Raises ValidationError naming the field on anything the API server would refuse.
    assert kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True) == "1.30"


def test_kustomization_lists_files_that_exist() -> None:
    kustomization = _documents(MANIFESTS / "kustomization.yaml")[0]
    missing = [name for name in kustomization["resources"] if not (MANIFESTS / name).exists()]
    assert not missing


def test_every_container_declares_resources_and_runs_as_non_root() -> None:
    for path, obj in _all_objects():
        for container in _containers(obj):
            assert container.get("resources", {}).get("requests"), f"{path}: {container['name']} has no requests"
            assert container.get("resources", {}).get("limits"), f"{path}: {container['name']} has no limits"


def test_web_is_probed_on_healthz() -> None:
    web = _by_kind_and_name("Deployment", "ackmigrate-web")
    (container,) = _containers(web)
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_pod_disruption_budget_selects_the_web_pods() -> None:
    web = _by_kind_and_name("Deployment", "ackmigrate-web")
    pdbs = [obj for _path, obj in _all_objects() if obj["kind"] == "PodDisruptionBudget"]
    labels = web["spec"]["template"]["metadata"]["labels"]
    assert any(set(pdb["spec"]["selector"]["matchLabels"].items()) <= set(labels.items()) for pdb in pdbs)


def test_config_and_secret_templates_only_name_settings_the_code_reads() -> None:
    known = set(re.findall(r"\b((?:ACKMIGRATE|SLACK|ALIBABA_CLOUD|REDIS)_[A-Z_]+)\b",
                           (ROOT / "workers" / "config.py").read_text()))
    config = _by_kind_and_name("ConfigMap", "ackmigrate-config")["data"]
    secret = _by_kind_and_name("Secret", "ackmigrate-secrets")["stringData"]
    unknown = (set(config) | set(secret)) - known
    assert not unknown, f"deploy templates name settings the code never reads: {sorted(unknown)}"
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "REDIS_URL"} <= set(secret)
