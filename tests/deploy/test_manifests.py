"""The Kubernetes manifests, as `kubectl apply -k` would send them, are valid and wired as the README says.

Every variant (HTTP mode: deploy/kubernetes; Socket Mode: deploy/kubernetes/socket) is rendered with the
real kustomize in kubectl (`kubectl kustomize`), in a copy of the tree where the secret's env file is the
example, exactly as a user's first `kubectl apply -k` would find it. Each rendered object is validated
offline against the Kubernetes OpenAPI schemas shipped with kubernetes-validate (strict: an unknown or
misspelt field is an error, as `kubectl apply --validate=strict` would make it).
"""

from __future__ import annotations

import atexit
import re
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.30.0"
VARIANTS = {"http": ".", "socket": "socket"}
IMAGE = "registry.example.com/platform/ackmigrate:0.1.0"


@cache
def _rendered(variant: str) -> tuple[dict[str, Any], ...]:
    """`kubectl kustomize` of one variant, in a scratch copy with secrets.env made from the example."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise AssertionError("kubectl is not installed: `make tools` installs Debian's kubernetes-client")
    scratch = Path(_scratch_dir()) / "kubernetes"
    if not scratch.exists():
        shutil.copytree(MANIFESTS, scratch)
        shutil.copy(scratch / "base" / "secrets.env.example", scratch / "base" / "secrets.env")
    done = subprocess.run([kubectl, "kustomize", str(scratch / VARIANTS[variant])], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


@cache
def _scratch_dir() -> str:
    directory = tempfile.mkdtemp(prefix="ackmigrate-kustomize-")
    atexit.register(shutil.rmtree, directory, True)
    return directory


def _objects() -> list[tuple[str, dict[str, Any]]]:
    return [(variant, obj) for variant in VARIANTS for obj in _rendered(variant)]


def _by_kind(variant: str, kind: str) -> dict[str, dict[str, Any]]:
    return {obj["metadata"]["name"]: obj for obj in _rendered(variant) if obj["kind"] == kind}


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return list(obj.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []))


@pytest.mark.parametrize(("variant", "obj"), _objects(),
                         ids=lambda v: v if isinstance(v, str) else f"{v['kind']}-{v['metadata']['name']}")
def test_every_rendered_object_validates_strictly_against_the_kubernetes_schema(
    variant: str, obj: dict[str, Any]
) -> None:
    # Raises ValidationError naming the field on anything the API server would refuse.
    assert kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True) == "1.30"


@pytest.mark.parametrize("variant", VARIANTS)
def test_one_apply_creates_the_namespace_first_and_everything_in_it(variant: str) -> None:
    objects = _rendered(variant)

    assert objects[0]["kind"] == "Namespace" and objects[0]["metadata"]["name"] == "ackmigrate"
    assert all(obj["metadata"].get("namespace") == "ackmigrate" for obj in objects[1:])


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_secret_is_generated_and_every_process_reads_it_by_its_generated_name(variant: str) -> None:
    (secret_name,) = _by_kind(variant, "Secret")
    assert secret_name.startswith("ackmigrate-secrets-")  # content hash: a changed secret rolls the pods
    for deployment in _by_kind(variant, "Deployment").values():
        (container,) = _containers(deployment)
        refs = [source.get("secretRef", {}).get("name") for source in container["envFrom"]]
        assert secret_name in refs, deployment["metadata"]["name"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_process_runs_the_configured_image_with_probes_resources_and_no_root(variant: str) -> None:
    for name, deployment in _by_kind(variant, "Deployment").items():
        (container,) = _containers(deployment)
        assert container["image"] == IMAGE, name
        assert container.get("livenessProbe"), f"{name} has no liveness probe"
        assert container.get("readinessProbe") or container.get("startupProbe"), f"{name} has no readiness/startup"
        assert container["resources"]["requests"] and container["resources"]["limits"], name
        assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True, name


def test_http_mode_runs_web_and_worker_behind_an_ingress_for_slack_only() -> None:
    deployments = _by_kind("http", "Deployment")
    assert set(deployments) == {"ackmigrate-web", "ackmigrate-worker"}
    (web,) = _containers(deployments["ackmigrate-web"])
    assert web["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    (ingress,) = _by_kind("http", "Ingress").values()
    (rule,) = ingress["spec"]["rules"]
    assert [p["path"] for p in rule["http"]["paths"]] == ["/slack/events"]  # /metrics stays private
    backend = rule["http"]["paths"][0]["backend"]["service"]
    service = _by_kind("http", "Service")[backend["name"]]
    assert backend["port"]["name"] in [port["name"] for port in service["spec"]["ports"]]
    assert set(_by_kind("http", "PodDisruptionBudget")) == {"ackmigrate-web", "ackmigrate-worker"}


def test_socket_mode_replaces_web_its_service_ingress_and_pdb_with_the_socket_bot() -> None:
    assert set(_by_kind("socket", "Deployment")) == {"ackmigrate-socket", "ackmigrate-worker"}
    assert not _by_kind("socket", "Service") and not _by_kind("socket", "Ingress")
    assert set(_by_kind("socket", "PodDisruptionBudget")) == {"ackmigrate-worker"}


@pytest.mark.parametrize(("variant", "deployment", "role"), [("http", "ackmigrate-worker", "worker"),
                                                             ("socket", "ackmigrate-worker", "worker"),
                                                             ("socket", "ackmigrate-socket", "socket")])
def test_processes_without_http_are_probed_by_their_own_health_command(
    variant: str, deployment: str, role: str
) -> None:
    (container,) = _containers(_by_kind(variant, "Deployment")[deployment])
    for probe in ("startupProbe", "livenessProbe"):
        command = container[probe]["exec"]["command"]
        assert command == ["ackmigrate", "health", role]
        assert build_parser().parse_args(command[1:]).role == role
    assert "ports" not in container  # no HTTP port invented for a probe


@pytest.mark.parametrize("variant", VARIANTS)
def test_processes_run_valid_ackmigrate_commands(variant: str) -> None:
    commands = {build_parser().parse_args(_containers(d)[0]["args"]).command
                for d in _by_kind(variant, "Deployment").values()}
    assert commands == ({"serve", "worker"} if variant == "http" else {"socket", "worker"})


def test_config_and_secret_only_name_settings_the_code_reads() -> None:
    known = set(re.findall(r"\b((?:ACKMIGRATE|SLACK|ALIBABA_CLOUD|REDIS)_[A-Z_]+)\b",
                           (ROOT / "workers" / "config.py").read_text()))
    config = _by_kind("http", "ConfigMap")["ackmigrate-config"]["data"]
    example = (MANIFESTS / "base" / "secrets.env.example").read_text()
    secret_keys = set(re.findall(r"^#?\s*([A-Z_]+)=", example, re.MULTILINE))
    unknown = (set(config) | secret_keys) - known
    assert not unknown, f"deploy templates name settings the code never reads: {sorted(unknown)}"
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "REDIS_URL", "REDIS_SENTINELS"} <= secret_keys
    assert config["ACKMIGRATE_KUBECONFIG_PRIVATE"] == "true"  # in a cluster, the VPC endpoints are the usual case


def test_optional_redis_keeps_an_append_only_file() -> None:
    (statefulset, service) = [doc for doc in yaml.safe_load_all((MANIFESTS / "optional" / "redis.yaml").read_text())]
    for obj in (statefulset, service):
        assert kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True) == "1.30"
    (container,) = _containers(statefulset)
    assert container["args"][:2] == ["--appendonly", "yes"]
