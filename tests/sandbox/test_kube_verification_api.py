"""What post-migration verification reads and writes, on the Kubernetes stand-in: /readyz, namespaces and pods
created and deleted (with a scheduler), through the official client, the production KubeClient and kubectl."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from sandbox.world import SCHEDULE_AFTER_S, SpecError
from tests.sandbox.kube_harness import KubeSandbox, kube_sandbox
from workers.cloud.kube import KubeClient
from workers.cloud.retry import RetryPolicy
from workers.errors import Conflict, NotFound

SPEED = 20.0  # a created pod is scheduled after SCHEDULE_AFTER_S / SPEED wall seconds


@pytest.fixture
def kube() -> Iterator[KubeSandbox]:
    with kube_sandbox(speed=SPEED) as box:
        yield box


def _pod(name: str = "canary", image: str = "registry-cn-hangzhou-vpc.ack.aliyuncs.com/acs/pause:3.9") -> k8s.V1Pod:
    return k8s.V1Pod(metadata=k8s.V1ObjectMeta(name=name, labels={"app": "canary"}),
                     spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="pause", image=image)],
                                        restart_policy="Never"))


def _after_scheduling() -> None:
    time.sleep(SCHEDULE_AFTER_S / SPEED + 0.2)


def test_a_created_namespace_is_listed_and_deleted_with_its_pods(kube: KubeSandbox) -> None:
    cluster = kube.cluster()
    core = kube.core(cluster)

    created = core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name="ackmigrate-canary-1")))
    assert created.metadata.name == "ackmigrate-canary-1" and created.status.phase == "Active"
    core.create_namespaced_pod("ackmigrate-canary-1", _pod())
    assert "ackmigrate-canary-1" in [n.metadata.name for n in core.list_namespace().items]

    core.delete_namespace("ackmigrate-canary-1")
    assert "ackmigrate-canary-1" not in [n.metadata.name for n in core.list_namespace().items]
    assert not [p for p in core.list_pod_for_all_namespaces().items if p.metadata.namespace == "ackmigrate-canary-1"]


def test_creating_a_namespace_twice_is_a_conflict_and_system_namespaces_cannot_be_deleted(kube: KubeSandbox) -> None:
    cluster = kube.cluster()
    core = kube.core(cluster)
    core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name="twice")))

    with pytest.raises(ApiException) as again:
        core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name="twice")))
    assert again.value.status == 409 and '"reason": "AlreadyExists"' in again.value.body
    with pytest.raises(ApiException) as system:
        core.delete_namespace("kube-system")
    assert system.value.status == 403
    with pytest.raises(ApiException) as invalid:
        core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name="Not_A_Label")))
    assert invalid.value.status == 422


def test_a_created_pod_is_pending_then_runs_on_a_ready_worker(kube: KubeSandbox) -> None:
    cluster = kube.cluster(masters=3, workers=2)
    core = kube.core(cluster)
    core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name="canary-ns")))

    created = core.create_namespaced_pod("canary-ns", _pod())
    assert created.status.phase == "Pending" and not created.spec.node_name
    _after_scheduling()
    running = core.read_namespaced_pod("canary", "canary-ns")
    assert running.status.phase == "Running"
    assert running.spec.node_name in {n.name for n in cluster.workers}

    core.delete_namespaced_pod("canary", "canary-ns")
    with pytest.raises(ApiException) as gone:
        core.read_namespaced_pod("canary", "canary-ns")
    assert gone.value.status == 404


def test_a_cluster_that_cannot_schedule_keeps_the_pod_pending_and_says_why(kube: KubeSandbox) -> None:
    cluster = kube.cluster(after_migration={"canary_schedulable": False})
    core = kube.core(cluster)
    core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name="canary-ns")))
    core.create_namespaced_pod("canary-ns", _pod())

    _after_scheduling()
    pending = core.read_namespaced_pod("canary", "canary-ns")
    assert pending.status.phase == "Pending" and not pending.spec.node_name
    (scheduled,) = [c for c in pending.status.conditions if c.type == "PodScheduled"]
    assert (scheduled.status, scheduled.reason) == ("False", "Unschedulable")


def test_a_pod_in_a_missing_namespace_or_without_containers_is_refused(kube: KubeSandbox) -> None:
    cluster = kube.cluster()
    core = kube.core(cluster)
    with pytest.raises(ApiException) as missing:
        core.create_namespaced_pod("nowhere", _pod())
    assert missing.value.status == 404 and 'namespaces \\"nowhere\\" not found' in missing.value.body
    core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name="empty-pod")))
    with pytest.raises(ApiException) as empty:
        core.create_namespaced_pod("empty-pod", k8s.V1Pod(metadata=k8s.V1ObjectMeta(name="x"),
                                                          spec=k8s.V1PodSpec(containers=[])))
    assert empty.value.status == 422


def test_the_production_client_reads_readyz_and_the_canary_through_typed_answers(kube: KubeSandbox) -> None:
    cluster = kube.cluster()
    client = KubeClient(kubeconfig=kube.kubeconfig(cluster), retry=RetryPolicy(attempts=1))

    assert client.readyz() == "ok"
    assert client.server == f"{kube.url}/clusters/{cluster.cluster_id}"
    client.create_namespace("ackmigrate-canary-x", labels={"app.kubernetes.io/managed-by": "ackmigrate"})
    with pytest.raises(Conflict):
        client.create_namespace("ackmigrate-canary-x", labels={})
    client.create_pause_pod("ackmigrate-canary-x", "canary", image="registry-cn-hangzhou-vpc.ack.aliyuncs.com/acs/pause:3.9",
                            labels={"app": "canary"})
    _after_scheduling()
    state = client.pod_state("ackmigrate-canary-x", "canary")
    assert state.phase == "Running" and state.node_name
    client.delete_pod("ackmigrate-canary-x", "canary")
    client.delete_namespace("ackmigrate-canary-x")
    with pytest.raises(NotFound):
        client.delete_namespace("ackmigrate-canary-x")
    coredns = next(d for d in client.deployment_availability("kube-system") if d.name == "coredns")
    assert coredns.available and coredns.ready_replicas == coredns.replicas == 2


def test_after_migration_is_checked_when_the_cluster_is_made(kube: KubeSandbox) -> None:
    for bad in ({"not_ready_workers": -1}, {"coredns_available": "no"}, {"nonsense": True}, ["x"]):
        with pytest.raises(SpecError):
            kube.cluster(after_migration=bad)


def test_kubectl_sees_the_canary_and_deletes_its_namespace(kube: KubeSandbox, tmp_path: Path) -> None:
    """Created with the Python client (kubectl creates with protobuf bodies, which the sandbox answers 415)."""
    binary = shutil.which("kubectl")
    assert binary is not None, "these tests need the real kubectl (Debian's kubernetes-client)"
    cluster = kube.cluster()
    config = kube.write_kubeconfig(cluster, tmp_path)
    core = kube.core(cluster)
    core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name="from-client")))
    core.create_namespaced_pod("from-client", _pod())
    _after_scheduling()

    def kubectl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([binary, "--kubeconfig", str(config), "--cache-dir", str(tmp_path / "cache"), *args],
                              capture_output=True, text=True, timeout=60, env={**os.environ, "HOME": str(tmp_path)})

    listed = kubectl("get", "pods", "-n", "from-client", "--no-headers")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split()[:3] == ["canary", "1/1", "Running"]
    refused = kubectl("create", "namespace", "from-kubectl")
    assert refused.returncode == 1 and "UnsupportedMediaType" in refused.stderr, "refused plainly, not misread"
    deleted = kubectl("delete", "namespace", "from-client", "--wait=false")
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.strip() == 'namespace "from-client" deleted'
    assert "from-client" not in kubectl("get", "namespaces", "-o", "name").stdout


# --- what the terway steps touch: webhook configurations and a Deployment's replicas --------------------


def test_terway_controlplanes_webhook_configurations_are_listed_deleted_and_restored(kube: KubeSandbox) -> None:
    cluster = kube.cluster(addons=["terway-controlplane"])
    admission = k8s.AdmissionregistrationV1Api(kube.api_client(cluster))

    (mutating,) = admission.list_mutating_webhook_configuration().items
    (validating,) = admission.list_validating_webhook_configuration().items
    assert mutating.metadata.name == validating.metadata.name == "terway-controlplane"
    assert mutating.webhooks[0].client_config.service.name == "terway-controlplane"
    backup = kube.api_client(cluster).sanitize_for_serialization(mutating)

    admission.delete_mutating_webhook_configuration("terway-controlplane")
    assert admission.list_mutating_webhook_configuration().items == []
    with pytest.raises(ApiException) as gone:
        admission.read_mutating_webhook_configuration("terway-controlplane")
    assert gone.value.status == 404

    restored = admission.create_mutating_webhook_configuration(backup)
    assert restored.webhooks == mutating.webhooks, "a restore puts back exactly what was backed up"
    assert restored.metadata.uid != mutating.metadata.uid
    with pytest.raises(ApiException) as twice:
        admission.create_mutating_webhook_configuration(backup)
    assert twice.value.status == 409


def test_a_deployment_scales_to_zero_and_back_through_the_scale_subresource_and_a_patch(kube: KubeSandbox) -> None:
    cluster = kube.cluster(addons=["terway-controlplane"])
    apps = kube.apps(cluster)

    scale = apps.read_namespaced_deployment_scale("terway-controlplane", "kube-system")
    assert scale.spec.replicas == 1
    apps.patch_namespaced_deployment_scale("terway-controlplane", "kube-system", {"spec": {"replicas": 0}})
    stopped = apps.read_namespaced_deployment("terway-controlplane", "kube-system")
    assert stopped.spec.replicas == 0 and not stopped.status.ready_replicas
    assert not [p for p in kube.core(cluster).list_namespaced_pod("kube-system").items
                if p.metadata.name.startswith("terway-controlplane-")]

    apps.patch_namespaced_deployment("terway-controlplane", "kube-system", {"spec": {"replicas": 2}})
    back = apps.read_namespaced_deployment("terway-controlplane", "kube-system")
    assert back.spec.replicas == 2 and back.status.ready_replicas == 2
    with pytest.raises(ApiException) as other:
        apps.patch_namespaced_deployment("terway-controlplane", "kube-system", {"spec": {"paused": True}})
    assert other.value.status == 422


def test_kubectl_scales_a_deployment_and_lists_webhook_configurations(kube: KubeSandbox, tmp_path: Path) -> None:
    binary = shutil.which("kubectl")
    assert binary is not None, "these tests need the real kubectl (Debian's kubernetes-client)"
    cluster = kube.cluster(addons=["terway-controlplane"])
    config = kube.write_kubeconfig(cluster, tmp_path)

    def kubectl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([binary, "--kubeconfig", str(config), "--cache-dir", str(tmp_path / "cache"), *args],
                              capture_output=True, text=True, timeout=60, env={**os.environ, "HOME": str(tmp_path)})

    scaled = kubectl("-n", "kube-system", "scale", "deployment", "terway-controlplane", "--replicas=0")
    assert scaled.returncode == 0, scaled.stderr
    assert scaled.stdout.strip() == "deployment.apps/terway-controlplane scaled"
    listed = kubectl("get", "mutatingwebhookconfigurations", "--no-headers")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split()[:2] == ["terway-controlplane", "1"]
    deleted = kubectl("delete", "validatingwebhookconfiguration", "terway-controlplane")
    assert deleted.returncode == 0, deleted.stderr
    assert "terway-controlplane" in deleted.stdout and "deleted" in deleted.stdout
