"""Pods on masters, cGPU and add-ons, evaluated from plain Kubernetes facts."""

from __future__ import annotations

from workers.checks.model import Outcome
from workers.checks.workload_checks import (
    check_addons,
    check_cgpu,
    check_master_pods,
    find_addons,
    find_cgpu,
)
from workers.cloud.models import KubePod, OwnerRef, Workload

MASTER = "cn-hangzhou.192.168.0.1"
WORKER = "cn-hangzhou.192.168.0.81"


def _pod(
    name: str, node: str, *, owner: str | None = None, mirror: bool = False, phase: str = "Running"
) -> KubePod:
    return KubePod(
        namespace="kube-system",
        name=name,
        node_name=node,
        phase=phase,
        owners=(OwnerRef(owner, "x"),) if owner else (),
        annotations={"kubernetes.io/config.mirror": "abc"} if mirror else {},
    )


def test_control_plane_and_daemonset_pods_on_masters_pass() -> None:
    pods = [
        _pod("kube-apiserver-m1", MASTER, owner="Node", mirror=True),
        _pod("kube-proxy-master-abcde", MASTER, owner="DaemonSet"),
        _pod("coredns-1-x", WORKER, owner="ReplicaSet"),
    ]
    check = check_master_pods(master_names=[MASTER], pods=pods)
    assert check.outcome is Outcome.PASS


def test_ordinary_pod_on_a_master_fails_naming_pod_and_node() -> None:
    pods = [_pod("metrics-server-7d9-abc", MASTER, owner="ReplicaSet"), _pod("bare", MASTER)]
    check = check_master_pods(master_names=[MASTER], pods=pods)
    assert check.outcome is Outcome.FAIL
    assert f"kube-system/metrics-server-7d9-abc on {MASTER}" in check.summary
    assert "kube-system/bare" in check.summary


def test_finished_pods_on_masters_are_not_counted() -> None:
    check = check_master_pods(master_names=[MASTER], pods=[_pod("job-1", MASTER, phase="Succeeded")])
    assert check.outcome is Outcome.PASS


def test_long_pod_lists_are_cut_with_a_count() -> None:
    pods = [_pod(f"p-{n}", MASTER, owner="ReplicaSet") for n in range(30)]
    check = check_master_pods(master_names=[MASTER], pods=pods)
    assert check.summary.endswith("more.")
    assert "kube-system/p-0" in check.summary
    assert len(check.summary) <= 400


def _workload(kind: str, name: str, **labels: str) -> Workload:
    return Workload(kind=kind, namespace="kube-system", name=name, labels=labels)


def test_cgpu_basic_edition_warns_to_upgrade_after_migration() -> None:
    finding = find_cgpu([_workload("DaemonSet", "cgpu-installer", release="cgpu", chart="ack-cgpu")])
    assert finding.edition == "basic"
    check = check_cgpu(finding)
    assert check.outcome is Outcome.WARN
    assert "kube-system/cgpu-installer" in check.summary
    assert "Professional" in check.fix


def test_cgpu_professional_edition_passes() -> None:
    finding = find_cgpu([_workload("DaemonSet", "gpushare-device-plugin-ds", release="ack-ai-installer")])
    assert finding.edition == "professional"
    assert check_cgpu(finding).outcome is Outcome.PASS


def test_no_cgpu_passes() -> None:
    finding = find_cgpu([_workload("Deployment", "coredns")])
    assert finding.edition == "none"
    assert check_cgpu(finding).summary == "No cGPU components installed."


def test_addons_needing_steps_warn_with_each_step() -> None:
    findings = find_addons(
        [
            _workload("Deployment", "alb-ingress-controller"),
            _workload("Deployment", "terway-controlplane"),
            _workload("Deployment", "coredns"),
        ]
    )
    assert [f.addon for f in findings] == ["alb-ingress-controller"]  # terway has a check of its own
    check = check_addons(findings)
    assert check.outcome is Outcome.WARN
    assert check.fix.startswith("Reinstall the ALB Ingress controller after the migration")


def test_no_special_addons_pass() -> None:
    assert check_addons(find_addons([_workload("Deployment", "coredns")])).outcome is Outcome.PASS
