"""Cloud Assistant on the masters and the API server SLB, evaluated from plain values."""

from __future__ import annotations

from workers.checks.infra_checks import (
    api_server_lb_candidates,
    check_cloud_assistant,
    check_slb_spec,
    pick_intranet,
)
from workers.checks.model import Outcome
from workers.cloud.models import (
    CloudAssistantStatus,
    ClusterNode,
    ClusterResource,
    LoadBalancer,
    LoadBalancerRef,
)


def _master(n: int) -> ClusterNode:
    return ClusterNode(
        instance_id=f"i-m{n}",
        node_name=f"cn-hangzhou.192.168.0.{n}",
        role="Master",
        node_status="Ready",
        state="running",
        charge_type="PostPaid",
    )


def _status(instance_id: str, installed: bool) -> CloudAssistantStatus:
    return CloudAssistantStatus(
        instance_id=instance_id, installed=installed, version="2.2.3", last_heartbeat=""
    )


def _lb(spec: str, address_type: str = "intranet") -> LoadBalancer:
    return LoadBalancer(
        load_balancer_id="lb-api",
        spec=spec,
        address_type=address_type,
        charge_type="PayBySpec",
        status="active",
        address="192.168.0.250",
        vpc_id="vpc-1",
    )


def test_cloud_assistant_on_every_master_passes() -> None:
    masters = [_master(1), _master(2)]
    check = check_cloud_assistant(masters=masters, statuses=[_status("i-m1", True), _status("i-m2", True)])
    assert check.outcome is Outcome.PASS
    assert "all 2 masters" in check.summary and "2.2.3" in check.summary


def test_master_without_cloud_assistant_fails_naming_the_node() -> None:
    masters = [_master(1), _master(2)]
    check = check_cloud_assistant(masters=masters, statuses=[_status("i-m1", True), _status("i-m2", False)])
    assert check.outcome is Outcome.FAIL
    assert "cn-hangzhou.192.168.0.2 (i-m2)" in check.summary
    assert "cn-hangzhou.192.168.0.1" not in check.summary


def test_master_missing_from_the_ecs_answer_counts_as_not_installed() -> None:
    check = check_cloud_assistant(masters=[_master(1)], statuses=[])
    assert check.outcome is Outcome.FAIL


def test_no_masters_at_all_is_an_error() -> None:
    assert check_cloud_assistant(masters=[], statuses=[]).outcome is Outcome.ERROR


def test_slb_at_the_minimum_spec_passes() -> None:
    check = check_slb_spec(load_balancer=_lb("slb.s1.small"), candidates=["lb-api"], minimum="slb.s1.small")
    assert check.outcome is Outcome.PASS
    assert "slb.s1.small" in check.summary


def test_shared_performance_slb_fails() -> None:
    check = check_slb_spec(load_balancer=_lb(""), candidates=["lb-api"], minimum="slb.s1.small")
    assert check.outcome is Outcome.FAIL
    assert "shared-performance" in check.summary


def test_slb_below_a_raised_minimum_fails() -> None:
    check = check_slb_spec(load_balancer=_lb("slb.s1.small"), candidates=["lb-api"], minimum="slb.s2.small")
    assert check.outcome is Outcome.FAIL
    assert "below slb.s2.small" in check.summary


def test_unknown_slb_spec_warns_instead_of_guessing() -> None:
    check = check_slb_spec(load_balancer=_lb("slb.s9.huge"), candidates=["lb-api"], minimum="slb.s1.small")
    assert check.outcome is Outcome.WARN


def test_no_internal_slb_found_is_an_error_listing_the_candidates() -> None:
    check = check_slb_spec(load_balancer=None, candidates=["lb-a", "lb-b"], minimum="slb.s1.small")
    assert check.outcome is Outcome.ERROR
    assert "lb-a, lb-b" in check.summary


def test_intranet_endpoints_of_the_detail_come_before_slb_resources() -> None:
    refs = (
        LoadBalancerRef(load_balancer_id="lb-public", endpoint_type="internet", endpoint=""),
        LoadBalancerRef(load_balancer_id="lb-internal", endpoint_type="intranet", endpoint=""),
    )
    resources = [
        ClusterResource("lb-old", "ALIYUN::SLB::LoadBalancer", "", "CREATE_COMPLETE", True),
        ClusterResource("vpc-1", "ALIYUN::ECS::VPC", "", "CREATE_COMPLETE", True),
    ]
    assert api_server_lb_candidates(refs=refs, resources=resources) == ["lb-internal", "lb-public", "lb-old"]


def test_the_internet_facing_slb_is_never_picked() -> None:
    assert pick_intranet([_lb("slb.s3.large", "internet")]) is None
    assert pick_intranet([_lb("slb.s3.large", "internet"), _lb("slb.s1.small")]) == _lb("slb.s1.small")
