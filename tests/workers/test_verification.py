"""The verification's judgements on plain values, and its report's round trip through the record."""

from __future__ import annotations

from workers.checks.model import Outcome, PrecheckReport
from workers.cloud.models import DeploymentAvailability, KubeNode, Workload
from workers.verification import (
    Baseline,
    VerificationReport,
    canary_namespace,
    default_canary_image,
    judge_deployments,
    judge_endpoint,
    judge_follow_ups,
    judge_nodes,
)

BEFORE = Baseline(api_endpoint="https://192.168.0.250:6443", available_deployments=("coredns", "metrics-server"),
                  taken_at=1.0)


def _node(name: str, ready: str = "True", *, master: bool = False) -> KubeNode:
    labels = {"node-role.kubernetes.io/master": ""} if master else {}
    return KubeNode(name=name, provider_id="", labels=labels, ready=ready)


def _deployment(name: str, available: bool, ready: int = 2, replicas: int = 2) -> DeploymentAvailability:
    return DeploymentAvailability(namespace="kube-system", name=name, available=available, ready_replicas=ready,
                                  replicas=replicas)


def _workload(name: str, **labels: str) -> Workload:
    return Workload(kind="Deployment", namespace="kube-system", name=name, images=(), labels=labels, env={})


def test_the_same_address_answering_ok_passes_and_a_moved_one_fails_naming_both() -> None:
    assert judge_endpoint(BEFORE.api_endpoint, BEFORE, "ok").outcome is Outcome.PASS
    moved = judge_endpoint("https://10.0.0.9:6443", BEFORE, "ok")
    assert moved.outcome is Outcome.FAIL
    assert moved.summary == ("the kubeconfig now points at https://10.0.0.9:6443, not https://192.168.0.250:6443 "
                             "as before the migration")
    assert judge_endpoint(BEFORE.api_endpoint, BEFORE, "[-]etcd failed").outcome is Outcome.FAIL


def test_old_masters_may_be_unknown_but_every_worker_must_be_ready() -> None:
    nodes = [_node("m1", "Unknown"), _node("m2", "Unknown"), _node("w1"), _node("w2", "False")]
    judged = judge_nodes(nodes, {"m1", "m2"})
    assert judged.outcome is Outcome.FAIL
    assert judged.summary.startswith("1 of 2 workers not Ready: w2 (NotReady).")
    assert "Old masters, expected NotReady/Unknown: m1, m2." in judged.summary
    assert judge_nodes(nodes[:3], {"m1", "m2"}).outcome is Outcome.PASS


def test_without_the_requests_masters_the_role_label_names_them() -> None:
    judged = judge_nodes([_node("m1", "Unknown", master=True), _node("w1")], ())
    assert judged.outcome is Outcome.PASS and "Old masters, expected NotReady/Unknown: m1." in judged.summary


def test_a_cluster_with_no_workers_fails_and_a_still_ready_master_is_a_warning() -> None:
    assert judge_nodes([_node("m1", "Unknown")], {"m1"}).outcome is Outcome.FAIL
    still = judge_nodes([_node("m1"), _node("w1")], {"m1"})
    assert still.outcome is Outcome.WARN and "Still Ready although expected out of service: m1." in still.summary


def test_what_was_available_before_must_be_available_after() -> None:
    now = [_deployment("coredns", False, ready=0), _deployment("metrics-server", True),
           _deployment("never-was", False, ready=0)]
    judged = judge_deployments(now, BEFORE)
    assert judged.outcome is Outcome.FAIL
    assert judged.summary == "available before the migration but not available now: coredns (0/2 ready)."
    gone = judge_deployments([_deployment("coredns", True)], BEFORE)
    assert gone.summary.endswith("metrics-server (gone).")
    assert judge_deployments(now[1:], None).outcome is Outcome.FAIL, "without a baseline CoreDNS at least"


def test_follow_ups_say_done_or_to_do() -> None:
    precheck = PrecheckReport(
        cluster_id="c1", cluster_name="prod-hz-1", region_id="cn-hangzhou", current_version="1.22.15-aliyun.1",
        cluster_type="Kubernetes", cluster_spec="", state="running", master_count=3, worker_count=2, bucket=None,
        bucket_endpoint=None, cgpu="basic", addons=("alb-ingress-controller", "terway-controlplane"))
    still = [_workload("cgpu-installer", release="cgpu"), _workload("alb-ingress-controller"),
             _workload("terway-controlplane")]
    todo = {f.id: f for f in judge_follow_ups(still, precheck)}
    assert {k: v.outcome for k, v in todo.items()} == {
        "follow-up-cgpu": Outcome.WARN, "follow-up-alb-ingress-controller": Outcome.WARN,
        "follow-up-terway-controlplane": Outcome.WARN}
    done = {f.id: f for f in judge_follow_ups([_workload("alb-ingress-controller")], precheck)}
    assert done["follow-up-cgpu"].outcome is Outcome.PASS
    assert done["follow-up-terway-controlplane"].summary.startswith(
        "to do: the old terway-controlplane Deployment is gone; install terway-controlplane from")
    assert judge_follow_ups([], None) == []


def test_the_report_round_trips_through_the_record_and_fails_on_any_failure() -> None:
    checks = (judge_endpoint(BEFORE.api_endpoint, BEFORE, "ok"),
              judge_nodes([_node("w1", "False")], ()))
    report = VerificationReport(cluster_id="c1", cluster_name="prod", checked_at=2.0, checks=checks)
    again = VerificationReport.from_dict(report.to_dict())
    assert again == report
    assert not again.verified and [c.id for c in again.failures] == ["nodes"]
    assert again.to_dict()["verified"] is False
    assert Baseline.from_dict(BEFORE.to_dict()) == BEFORE


def test_canary_names_are_dns_labels_and_the_default_image_is_acks_pause_for_the_region() -> None:
    assert canary_namespace("m-1A2b_3c") == "ackmigrate-canary-m-1a2b-3c"
    assert len(canary_namespace("x" * 100)) <= 63
    assert default_canary_image("cn-shanghai") == "registry-cn-shanghai-vpc.ack.aliyuncs.com/acs/pause:3.9"
