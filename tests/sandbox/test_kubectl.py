"""The real kubectl against the Kubernetes stand-in, with the kubeconfig ACK hands out.

The seed runbook's last step is `kubectl get node | grep master` then `kubectl delete node <MASTER_NAME>`;
a rehearsal against the sandbox must look exactly like that on a terminal. kubectl is a hard requirement
of these tests (CI installs Debian's kubernetes-client): a missing binary fails them, loudly.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.world import Cluster
from tests.sandbox.kube_harness import KubeSandbox, kube_sandbox


@dataclass
class Kubectl:
    binary: str
    kube: KubeSandbox
    home: Path

    def run(self, cluster: Cluster, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
        config = self.kube.write_kubeconfig(cluster, self.home, token=token)
        return subprocess.run(
            [self.binary, "--kubeconfig", str(config), "--cache-dir", str(self.home / "cache"), *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "HOME": str(self.home)},
        )

    def table(self, cluster: Cluster, *args: str) -> list[dict[str, str]]:
        """kubectl's printed table as rows keyed by the header, cut where each header column starts
        (headers such as NODE SELECTOR contain a single space; columns are two or more apart)."""
        done = self.run(cluster, *args)
        assert done.returncode == 0, done.stderr
        header, *lines = done.stdout.splitlines()
        columns = [(m.group(), m.start()) for m in re.finditer(r"\S+(?: \S+)*", header)]
        bounds = [start for _, start in columns[1:]] + [None]
        return [
            {name: line[start:end].strip() for (name, start), end in zip(columns, bounds, strict=True)}
            for line in lines
        ]


@pytest.fixture
def kubectl(tmp_path: Path) -> Iterator[Kubectl]:
    binary = shutil.which("kubectl")
    if binary is None:
        pytest.fail(
            "kubectl is not installed: install Debian's kubernetes-client (apt-get install kubernetes-client)"
            " — CI has it, and these tests prove the sandbox against the real kubectl"
        )
    with kube_sandbox() as kube:
        yield Kubectl(binary=binary, kube=kube, home=tmp_path)


def test_get_nodes_shows_masters_by_role_and_every_node_ready(kubectl: Kubectl) -> None:
    cluster = kubectl.kube.cluster(masters=3, workers=2)

    rows = kubectl.table(cluster, "get", "nodes")

    assert [r["NAME"] for r in rows] == [n.name for n in cluster.nodes]
    assert [(r["STATUS"], r["ROLES"]) for r in rows] == [("Ready", "master")] * 3 + [("Ready", "<none>")] * 2
    assert {r["VERSION"] for r in rows} == {f"v{cluster.current_version}"}


def test_a_node_whose_kubelet_fails_or_goes_quiet_shows_not_ready(kubectl: Kubectl) -> None:
    cluster = kubectl.kube.cluster(masters=1, workers=2)
    cluster.workers[0].ready = "False"
    cluster.workers[1].ready = "Unknown"

    rows = {r["NAME"]: r["STATUS"] for r in kubectl.table(cluster, "get", "nodes")}

    assert rows == {
        cluster.masters[0].name: "Ready",
        cluster.workers[0].name: "NotReady",
        cluster.workers[1].name: "NotReady",
    }


def test_after_a_completed_migration_the_old_masters_are_not_ready(kubectl: Kubectl) -> None:
    cluster = kubectl.kube.cluster(masters=3, workers=2, migration={"duration_s": 50})
    with kubectl.kube.world.lock:
        task = kubectl.kube.world.start_migration(
            cluster, bucket="b", bucket_endpoint="oss-cn-hangzhou.aliyuncs.com"
        )
        task.started_mono -= 60  # the whole migration's simulated time has passed

    rows = kubectl.table(cluster, "get", "nodes")

    assert task.state == "success"
    status = {r["NAME"]: (r["STATUS"], r["ROLES"]) for r in rows}
    assert {status[m.name] for m in cluster.masters} == {("NotReady", "master")}
    assert {status[w.name] for w in cluster.workers} == {("Ready", "<none>")}


def test_get_pods_in_all_namespaces_shows_control_plane_and_workload_pods(kubectl: Kubectl) -> None:
    cluster = kubectl.kube.cluster(masters=1, workers=2, pods_on_masters=["team-a/report-6d5f8-q2x7z"])

    rows = kubectl.table(cluster, "get", "pods", "-A", "-o", "wide")

    master = cluster.masters[0].name
    on_master = {(r["NAMESPACE"], r["NAME"]) for r in rows if r["NODE"] == master}
    assert ("kube-system", f"kube-apiserver-{master}") in on_master
    assert ("team-a", "report-6d5f8-q2x7z") in on_master
    assert {r["STATUS"] for r in rows} == {"Running"}
    assert {r["READY"] for r in rows} == {"1/1"}


def test_short_names_resolve_daemonsets_and_deployments(kubectl: Kubectl) -> None:
    cluster = kubectl.kube.cluster(masters=3, workers=2)

    daemonsets = {r["NAME"]: r for r in kubectl.table(cluster, "get", "ds", "-n", "kube-system")}
    deployments = {r["NAME"]: r for r in kubectl.table(cluster, "get", "deploy", "-n", "kube-system")}

    assert (daemonsets["kube-proxy-master"]["DESIRED"], daemonsets["kube-proxy-master"]["READY"]) == (
        "3",
        "3",
    )
    assert daemonsets["terway-eniip"]["DESIRED"] == "5"
    assert deployments["coredns"]["READY"] == "2/2"


def test_delete_node_removes_an_old_master_as_the_runbook_says(kubectl: Kubectl) -> None:
    cluster = kubectl.kube.cluster(masters=3, workers=1)
    master = cluster.masters[0].name

    done = kubectl.run(cluster, "delete", "node", master)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f'node "{master}" deleted'
    remaining = [r["NAME"] for r in kubectl.table(cluster, "get", "nodes")]
    assert master not in remaining and len(remaining) == 3
    assert [c.status for c in kubectl.kube.world.calls.list(service="kubernetes", action="delete nodes")] == [
        200
    ]


def test_a_missing_node_is_reported_as_kubectl_reports_it(kubectl: Kubectl) -> None:
    cluster = kubectl.kube.cluster()

    done = kubectl.run(cluster, "get", "node", "cn-hangzhou.10.0.0.1")

    assert done.returncode == 1
    assert 'Error from server (NotFound): nodes "cn-hangzhou.10.0.0.1" not found' in done.stderr


def test_a_wrong_token_leaves_kubectl_logged_out(kubectl: Kubectl) -> None:
    cluster = kubectl.kube.cluster()

    done = kubectl.run(cluster, "get", "nodes", token="expired-token")

    assert done.returncode == 1
    assert "You must be logged in to the server" in done.stderr


def test_kubectl_fails_while_the_control_plane_migrates(kubectl: Kubectl) -> None:
    cluster = kubectl.kube.cluster(masters=3, workers=1, migration={"duration_s": 3000})
    with kubectl.kube.world.lock:
        task = kubectl.kube.world.start_migration(
            cluster, bucket="b", bucket_endpoint="oss-cn-hangzhou.aliyuncs.com"
        )
        task.started_mono -= 1300  # in the third of five stages: MigrateControlPlane

    done = kubectl.run(cluster, "get", "nodes")

    assert done.returncode == 1
    assert "Error from server (ServiceUnavailable)" in done.stderr
    assert {c.status for c in kubectl.kube.world.calls.list(service="kubernetes")} == {503}
