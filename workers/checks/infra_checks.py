"""Checks on the masters' infrastructure: Cloud Assistant on each master ECS, the API server's SLB."""

from __future__ import annotations

from workers.checks.catalog import result
from workers.checks.model import CheckResult, Outcome, name_list
from workers.cloud.models import (
    CloudAssistantStatus,
    ClusterNode,
    ClusterResource,
    LoadBalancer,
    LoadBalancerRef,
)

SLB_RESOURCE_TYPE = "ALIYUN::SLB::LoadBalancer"
SLB_SPEC_ORDER = (
    "slb.s1.small",
    "slb.s2.small",
    "slb.s2.medium",
    "slb.s3.small",
    "slb.s3.medium",
    "slb.s3.large",
    "slb.s3.xlarge",
    "slb.s3.xxlarge",
    "slb.s4.large",
)
PAY_BY_LCU_SPEC = "slb.lcu.elastic"


def check_cloud_assistant(*, masters: list[ClusterNode], statuses: list[CloudAssistantStatus]) -> CheckResult:
    """The migration drives the masters through Cloud Assistant; one master without it stalls it."""
    if not masters:
        return result(
            "cloud-assistant",
            Outcome.ERROR,
            "ACK listed no master nodes, so there is nothing to check Cloud Assistant on.",
            "Check that this is a dedicated cluster and that DescribeClusterNodes lists its masters.",
        )
    by_id = {status.instance_id: status for status in statuses}
    missing = [m for m in masters if not (m.instance_id in by_id and by_id[m.instance_id].installed)]
    if missing:
        names = [f"{m.node_name} ({m.instance_id})" for m in missing]
        return result(
            "cloud-assistant",
            Outcome.FAIL,
            f"Cloud Assistant is not running on {len(missing)} of {len(masters)} masters: {name_list(names)}.",
            "Install the Cloud Assistant client on those masters (ECS console → Cloud Assistant).",
        )
    versions = sorted({by_id[m.instance_id].version for m in masters if by_id[m.instance_id].version})
    shown = f" (version {', '.join(versions)})" if versions else ""
    return result(
        "cloud-assistant", Outcome.PASS, f"Cloud Assistant runs on all {len(masters)} masters{shown}."
    )


def api_server_lb_candidates(
    *, refs: tuple[LoadBalancerRef, ...], resources: list[ClusterResource]
) -> list[str]:
    """SLB ids that may front the API server: the detail's intranet endpoints first, then the cluster's SLB
    resources (older clusters have no control_plane_endpoints_config). The Ingress SLB is not among them
    (it is external_loadbalancer_id), but an SLB resource may be, so callers keep the intranet one."""
    ids = [ref.load_balancer_id for ref in refs if ref.endpoint_type.lower() == "intranet"]
    ids += [ref.load_balancer_id for ref in refs]
    ids += [r.instance_id for r in resources if r.resource_type == SLB_RESOURCE_TYPE]
    return list(dict.fromkeys(i for i in ids if i))


def pick_intranet(load_balancers: list[LoadBalancer]) -> LoadBalancer | None:
    return next((lb for lb in load_balancers if lb.address_type.lower() == "intranet"), None)


def check_slb_spec(*, load_balancer: LoadBalancer | None, candidates: list[str], minimum: str) -> CheckResult:
    if load_balancer is None:
        found = name_list(candidates) if candidates else "none"
        return result(
            "slb-spec",
            Outcome.ERROR,
            f"Could not find the API server's internal SLB (SLBs found: {found}).",
            "Look up the API server SLB in the cluster's basic information and check its spec by hand.",
        )
    where = f"{load_balancer.load_balancer_id} ({load_balancer.address or 'no address'})"
    if load_balancer.spec == PAY_BY_LCU_SPEC:
        return result("slb-spec", Outcome.PASS, f"API server SLB {where} is pay-by-LCU ({PAY_BY_LCU_SPEC}).")
    if not load_balancer.spec:
        return result(
            "slb-spec",
            Outcome.FAIL,
            f"API server SLB {where} is a shared-performance instance.",
            f"Change it to a guaranteed-performance spec of {minimum} or higher.",
        )
    if minimum not in SLB_SPEC_ORDER or load_balancer.spec not in SLB_SPEC_ORDER:
        return result(
            "slb-spec",
            Outcome.WARN,
            f"API server SLB {where} has spec {load_balancer.spec}, which cannot be compared with {minimum}.",
            f"Confirm that {load_balancer.spec} is at least {minimum}.",
        )
    if SLB_SPEC_ORDER.index(load_balancer.spec) < SLB_SPEC_ORDER.index(minimum):
        return result(
            "slb-spec",
            Outcome.FAIL,
            f"API server SLB {where} has spec {load_balancer.spec}, below {minimum}.",
            f"Change its spec to {minimum} or higher.",
        )
    return result("slb-spec", Outcome.PASS, f"API server SLB {where} has spec {load_balancer.spec}.")
