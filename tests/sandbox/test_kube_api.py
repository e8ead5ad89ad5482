"""The Kubernetes stand-in, through the official Python client configured from ACK's kubeconfig.

These are the answers the prechecks and the cleanup job rely on: masters recognisable by label, taint and
providerID; the pods on a master (control-plane mirror pods, DaemonSet pods, anything left behind);
deleting a node; and the errors a real API server gives (401, 404, 503 while the control plane migrates).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from kubernetes.client.exceptions import ApiException

from sandbox.world import Cluster
from tests.sandbox.kube_harness import KubeSandbox, kube_sandbox

TABLE_ACCEPT = ",".join(
    (
        "application/json;as=Table;v=v1;g=meta.k8s.io",
        "application/json;as=Table;v=v1beta1;g=meta.k8s.io",
        "application/json",
    )
)  # what kubectl get sends


@pytest.fixture
def kube() -> Iterator[KubeSandbox]:
    with kube_sandbox() as box:
        yield box


def _raw_get(
    kube: KubeSandbox,
    cluster: Cluster,
    path: str,
    *,
    accept: str = "application/json",
    token: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """A plain HTTP GET through the client's own connection pool and credentials, for what the typed client
    hides (Table answers, discovery documents)."""
    client = kube.api_client(cluster, token=token)
    headers = {"Accept": accept, "Authorization": client.configuration.api_key["BearerToken"]}
    response = client.rest_client.pool_manager.request(
        "GET", client.configuration.host + path, headers=headers
    )
    return response.status, json.loads(response.data)


def test_nodes_are_listed_with_ack_names_provider_ids_and_master_labels_and_taints(kube: KubeSandbox) -> None:
    cluster = kube.cluster(masters=3, workers=2)
    nodes = kube.core(cluster).list_node().items

    assert [n.metadata.name for n in nodes] == [n.name for n in cluster.nodes]
    masters = [n for n in nodes if "node-role.kubernetes.io/master" in (n.metadata.labels or {})]
    assert len(masters) == 3
    for node in masters:
        assert [(t.key, t.effect) for t in node.spec.taints] == [
            ("node-role.kubernetes.io/master", "NoSchedule")
        ]
    for node, model in zip(nodes, cluster.nodes, strict=True):
        assert node.metadata.name.startswith("cn-hangzhou.192.168.")
        assert node.spec.provider_id == f"cn-hangzhou.{model.instance_id}"
        assert node.spec.provider_id.startswith("cn-hangzhou.i-")
        ready = next(c for c in node.status.conditions if c.type == "Ready")
        assert ready.status == "True"


def test_pods_on_a_master_are_its_mirror_pods_daemonset_pods_and_what_was_left_there(
    kube: KubeSandbox,
) -> None:
    cluster = kube.cluster(masters=1, workers=2, pods_on_masters=["default/nginx-7d9f6c-abcde"])
    master = cluster.masters[0].name

    pods = kube.core(cluster).list_pod_for_all_namespaces(field_selector=f"spec.nodeName={master}").items

    assert {p.spec.node_name for p in pods} == {master}
    mirror = sorted(
        p.metadata.name for p in pods if "kubernetes.io/config.mirror" in (p.metadata.annotations or {})
    )
    assert mirror == [
        f"{c}-{master}" for c in ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
    ]
    daemonset_pods = {
        p.metadata.owner_references[0].name
        for p in pods
        if p.metadata.owner_references and p.metadata.owner_references[0].kind == "DaemonSet"
    }
    assert daemonset_pods == {
        "kube-proxy-master",
        "terway-eniip",
        "csi-plugin",
        "logtail-ds",
        "node-problem-detector",
    }
    leftovers = [p for p in pods if p.metadata.namespace == "default"]
    assert [(p.metadata.name, p.metadata.owner_references[0].kind) for p in leftovers] == [
        ("nginx-7d9f6c-abcde", "ReplicaSet")
    ]


def test_kube_system_deployments_run_on_workers_only(kube: KubeSandbox) -> None:
    cluster = kube.cluster(masters=3, workers=2)
    core = kube.core(cluster)
    deployments = kube.apps(cluster).list_namespaced_deployment("kube-system").items

    assert "coredns" in {d.metadata.name for d in deployments}
    workers = {n.name for n in cluster.workers}
    replica_pods = [
        p
        for p in core.list_namespaced_pod("kube-system").items
        if p.metadata.owner_references and p.metadata.owner_references[0].kind == "ReplicaSet"
    ]
    assert replica_pods and {p.spec.node_name for p in replica_pods} <= workers


def test_daemonsets_report_one_pod_per_eligible_node(kube: KubeSandbox) -> None:
    cluster = kube.cluster(masters=3, workers=4)
    daemonsets = {d.metadata.name: d for d in kube.apps(cluster).list_daemon_set_for_all_namespaces().items}

    assert daemonsets["terway-eniip"].status.desired_number_scheduled == 7
    assert daemonsets["kube-proxy-master"].status.number_ready == 3
    assert daemonsets["kube-proxy-worker"].status.current_number_scheduled == 4


def test_label_selector_finds_the_masters(kube: KubeSandbox) -> None:
    cluster = kube.cluster(masters=3, workers=5)
    core = kube.core(cluster)

    masters = core.list_node(label_selector="node-role.kubernetes.io/master").items
    workers = core.list_node(label_selector="!node-role.kubernetes.io/master").items

    assert {n.metadata.name for n in masters} == {n.name for n in cluster.masters}
    assert {n.metadata.name for n in workers} == {n.name for n in cluster.workers}


def test_an_unsupported_field_selector_is_refused_as_the_api_server_does(kube: KubeSandbox) -> None:
    cluster = kube.cluster()

    with pytest.raises(ApiException) as refused:
        kube.core(cluster).list_pod_for_all_namespaces(field_selector="spec.containers=nginx")

    assert refused.value.status == 400
    assert json.loads(refused.value.body)["message"] == "field label not supported: spec.containers"


def test_lists_page_with_limit_and_continue_without_losing_or_repeating_items(kube: KubeSandbox) -> None:
    cluster = kube.cluster(masters=3, workers=6)
    core = kube.core(cluster)
    everything = [(p.metadata.namespace, p.metadata.name) for p in core.list_pod_for_all_namespaces().items]

    paged: list[tuple[str, str]] = []
    token = None
    pages = 0
    while True:
        page = core.list_pod_for_all_namespaces(limit=7, _continue=token)
        paged += [(p.metadata.namespace, p.metadata.name) for p in page.items]
        pages += 1
        token = page.metadata._continue
        if not token:
            break

    assert paged == everything
    assert pages == -(-len(everything) // 7)


def test_a_deleted_node_is_gone_and_its_pods_with_it(kube: KubeSandbox) -> None:
    cluster = kube.cluster(masters=3, workers=1)
    core = kube.core(cluster)
    master = cluster.masters[0].name

    status = core.delete_node(master)

    assert status["status"] == "Success" and status["details"]["name"] == master
    with pytest.raises(ApiException) as missing:
        core.read_node(master)
    assert missing.value.status == 404
    body = json.loads(missing.value.body)
    assert (body["kind"], body["reason"], body["message"]) == (
        "Status",
        "NotFound",
        f'nodes "{master}" not found',
    )
    assert master not in {n.metadata.name for n in core.list_node().items}
    assert core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={master}").items == []
    assert cluster.masters[0].in_kubernetes is False
    assert [c.status for c in kube.world.calls.list(service="kubernetes", action="delete nodes")] == [200]


def test_a_pod_is_read_by_namespace_and_name(kube: KubeSandbox) -> None:
    cluster = kube.cluster(masters=1, workers=1, pods_on_masters=["team-a/batch-5f7c9-xk2lp"])
    core = kube.core(cluster)

    pod = core.read_namespaced_pod("batch-5f7c9-xk2lp", "team-a")

    assert pod.spec.node_name == cluster.masters[0].name
    assert pod.status.phase == "Running"
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_pod("batch-5f7c9-xk2lp", "default")
    assert missing.value.status == 404
    assert "team-a" in {ns.metadata.name for ns in core.list_namespace().items}


def test_a_wrong_token_is_refused_with_an_unauthorized_status(kube: KubeSandbox) -> None:
    cluster = kube.cluster()
    other = kube.cluster()

    for token in ("not-a-token", other.kube_token):
        with pytest.raises(ApiException) as refused:
            kube.core(cluster, token=token).list_node()
        assert refused.value.status == 401
        body = json.loads(refused.value.body)
        assert body == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": "Unauthorized",
            "reason": "Unauthorized",
            "code": 401,
        }


def test_the_api_server_is_unavailable_while_the_control_plane_migrates(kube: KubeSandbox) -> None:
    cluster = kube.cluster(masters=3, workers=1, migration={"duration_s": 3000})
    core = kube.core(cluster)
    with kube.world.lock:
        task = kube.world.start_migration(cluster, bucket="b", bucket_endpoint="oss-cn-hangzhou.aliyuncs.com")
        task.started_mono -= 1300  # 2 of 5 stages done: the control plane is moving now

    with pytest.raises(ApiException) as unavailable:
        core.list_node()

    assert unavailable.value.status == 503
    assert json.loads(unavailable.value.body)["reason"] == "ServiceUnavailable"
    assert kube.world.calls.list(service="kubernetes")[-1].status == 503


def test_after_the_migration_the_old_masters_stop_reporting(kube: KubeSandbox) -> None:
    cluster = kube.cluster(masters=3, workers=2, migration={"duration_s": 50})
    with kube.world.lock:
        task = kube.world.start_migration(cluster, bucket="b", bucket_endpoint="oss-cn-hangzhou.aliyuncs.com")
        task.started_mono -= 60

    nodes = kube.core(cluster).list_node().items

    ready = {n.metadata.name: next(c.status for c in n.status.conditions if c.type == "Ready") for n in nodes}
    assert {ready[m.name] for m in cluster.masters} == {"Unknown"}
    assert {ready[w.name] for w in cluster.workers} == {"True"}
    master = next(n for n in nodes if n.metadata.name == cluster.masters[0].name)
    assert "node.kubernetes.io/unreachable" in {t.key for t in master.spec.taints}


def test_nodes_are_served_as_a_table_when_kubectl_asks_for_one(kube: KubeSandbox) -> None:
    cluster = kube.cluster(masters=1, workers=1)
    cluster.workers[0].ready = "False"

    status, table = _raw_get(kube, cluster, "/api/v1/nodes", accept=TABLE_ACCEPT)

    assert status == 200
    assert (table["kind"], table["apiVersion"]) == ("Table", "meta.k8s.io/v1")
    assert [c["name"] for c in table["columnDefinitions"]][:5] == [
        "Name",
        "Status",
        "Roles",
        "Age",
        "Version",
    ]
    rows = {row["cells"][0]: row["cells"][1:3] for row in table["rows"]}
    assert rows == {
        cluster.masters[0].name: ["Ready", "master"],
        cluster.workers[0].name: ["NotReady", "<none>"],
    }
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


def test_discovery_documents_name_the_resources_kubectl_resolves(kube: KubeSandbox) -> None:
    cluster = kube.cluster()

    _, core = _raw_get(kube, cluster, "/api/v1")
    _, apps = _raw_get(kube, cluster, "/apis/apps/v1")
    _, groups = _raw_get(kube, cluster, "/apis")
    _, version = _raw_get(kube, cluster, "/version")

    short = {r["name"]: r.get("shortNames") for r in core["resources"] + apps["resources"]}
    assert short == {
        "namespaces": ["ns"],
        "nodes": ["no"],
        "pods": ["po"],
        "daemonsets": ["ds"],
        "deployments": ["deploy"],
        "deployments/scale": None,
    }
    assert next(r for r in core["resources"] if r["name"] == "nodes")["verbs"] == ["delete", "get", "list"]
    scale = next(r for r in apps["resources"] if r["name"] == "deployments/scale")
    assert (scale["group"], scale["version"], scale["kind"]) == ("autoscaling", "v1", "Scale")
    assert [g["name"] for g in groups["groups"]] == ["admissionregistration.k8s.io", "apps"]
    assert version["gitVersion"] == f"v{cluster.current_version}"
    assert kube.world.calls.list(service="kubernetes", action="discovery")


def test_an_injected_fault_fails_the_named_kubernetes_action_only(kube: KubeSandbox) -> None:
    cluster = kube.cluster()
    core = kube.core(cluster)
    kube.world.faults.add({"service": "kubernetes", "action": "list pods", "http_status": 429, "count": 1})

    assert core.list_node().items
    with pytest.raises(ApiException) as throttled:
        core.list_pod_for_all_namespaces()

    assert throttled.value.status == 429
    assert json.loads(throttled.value.body)["reason"] == "TooManyRequests"
    assert core.list_pod_for_all_namespaces().items


def test_the_api_server_speaks_https_with_the_authority_in_the_kubeconfig(kube: KubeSandbox) -> None:
    cluster = kube.cluster()

    config = yaml.safe_load(kube.kubeconfig(cluster))["clusters"][0]["cluster"]

    assert config["server"] == f"{kube.url}/clusters/{cluster.cluster_id}"
    assert config["server"].startswith("https://127.0.0.1:")
    assert "BEGIN CERTIFICATE" in base64.b64decode(config["certificate-authority-data"]).decode()


def test_a_path_outside_any_cluster_is_not_found(kube: KubeSandbox) -> None:
    pool = kube.api_client(kube.cluster()).rest_client.pool_manager  # trusts the sandbox's authority
    response = pool.request("GET", f"{kube.url}/api/v1/nodes")

    assert response.status == 404
    assert json.loads(response.data)["reason"] == "NotFound"


def test_set_based_label_selectors_pick_workload_pods(kube: KubeSandbox) -> None:
    cluster = kube.cluster(masters=1, workers=2)
    core = kube.core(cluster)

    chosen = core.list_pod_for_all_namespaces(label_selector="app in (coredns, metrics-server)").items
    others = core.list_namespaced_pod(
        "kube-system", label_selector="app notin (coredns),tier!=control-plane"
    ).items

    assert sorted({p.metadata.labels["app"] for p in chosen}) == ["coredns", "metrics-server"]
    assert len(chosen) == 3  # two coredns replicas and one metrics-server
    assert "coredns" not in {p.metadata.labels.get("app") for p in others}
    assert not [p for p in others if "kubernetes.io/config.mirror" in (p.metadata.annotations or {})]


def test_a_dry_run_delete_leaves_the_node_in_place(kube: KubeSandbox) -> None:
    cluster = kube.cluster(masters=3, workers=1)
    core = kube.core(cluster)
    master = cluster.masters[0].name

    status = core.delete_node(master, dry_run="All")

    assert status["status"] == "Success"
    assert core.read_node(master).metadata.name == master
    assert cluster.masters[0].in_kubernetes is True


def test_a_verb_the_sandbox_does_not_serve_is_refused_not_ignored(kube: KubeSandbox) -> None:
    cluster = kube.cluster(masters=1, workers=1)
    core = kube.core(cluster)

    with pytest.raises(ApiException) as refused:
        core.patch_node(cluster.workers[0].name, {"spec": {"unschedulable": True}})

    assert refused.value.status == 405
    assert json.loads(refused.value.body)["reason"] == "MethodNotAllowed"
    assert [c.action for c in kube.world.calls.list(service="kubernetes")] == ["patch nodes"]
    assert not core.read_node(cluster.workers[0].name).spec.unschedulable
