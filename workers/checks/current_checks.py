"""Checks the current hot-migration doc added: the cluster time zone, an internet-facing API server SLB,
and terway with custom pod configuration (PodNetworking).

Source: the hot-migration doc (catalog.MIGRATION_DOC, updated 2025-04) — "set the cluster time zone before
migrating, or CronJob times shift"; "a cluster whose API server is exposed through an internet-facing SLB
loses that path: bind an EIP to the internal SLB"; "terway with custom pod configuration: scale
terway-controlplane to 0 and back up and delete its webhooks before, restore them if the migration fails,
reinstall terway-controlplane from Add-ons after it succeeds".
"""

from __future__ import annotations

from workers.checks.catalog import result
from workers.checks.model import CheckResult, Outcome
from workers.cloud.models import LoadBalancer, LoadBalancerRef, Workload

TERWAY_CONTROLPLANE = "terway-controlplane"


def check_timezone(*, timezone: str) -> CheckResult:
    """DescribeClusterDetail's `timezone` (in alibabacloud_cs20151215's DescribeClusterDetailResponseBody);
    empty means none was set. Not blocking: the migration works, the CronJobs' clock does not."""
    if timezone.strip():
        return result("timezone", Outcome.PASS, f"The cluster's time zone is set ({timezone}).")
    return result(
        "timezone",
        Outcome.WARN,
        "The cluster has no time zone set: after the migration the managed control plane runs CronJobs in "
        "its default time zone, so their schedules shift.",
        "Set the cluster's time zone before migrating (ACK console → cluster → Basic Information, or "
        "ModifyCluster `timezone`), then run the precheck again.",
    )


def internet_endpoint_refs(refs: tuple[LoadBalancerRef, ...]) -> list[LoadBalancerRef]:
    """The API server endpoints the detail lists as internet-facing (control_plane_endpoints_config)."""
    return [ref for ref in refs if ref.endpoint_type.lower() == "internet" and ref.load_balancer_id]


def check_public_api_server(
    *, internet: list[LoadBalancer], internal: LoadBalancer | None
) -> CheckResult:
    """`internet`: the SLBs the detail names as internet endpoints whose AddressType is internet."""
    if not internet:
        return result(
            "public-api-server",
            Outcome.PASS,
            "The API server is not exposed through an internet-facing SLB; nothing changes for its clients.",
        )
    shown = ", ".join(f"{lb.load_balancer_id} ({lb.address})" for lb in internet)
    target = f"the internal SLB {internal.load_balancer_id}" if internal else "the API server's internal SLB"
    return result(
        "public-api-server",
        Outcome.WARN,
        f"The API server is reachable through the internet-facing SLB {shown}: the migration removes that "
        "path, and clients using it lose access.",
        f"Bind an EIP to {target} (ACK console → cluster → Basic Information → API server) and move those "
        "clients to it.",
    )


def find_terway_controlplane(workloads: list[Workload]) -> Workload | None:
    """terway-controlplane runs only where terway's custom pod configuration (PodNetworking) is used."""
    return next(
        (w for w in workloads if w.name == TERWAY_CONTROLPLANE or w.labels.get("app") == TERWAY_CONTROLPLANE),
        None,
    )


def check_terway_pod_networking(found: Workload | None) -> CheckResult:
    if found is None:
        return result(
            "terway-pod-networking",
            Outcome.PASS,
            "terway-controlplane is not installed: no custom pod configuration (PodNetworking) to prepare.",
        )
    return result(
        "terway-pod-networking",
        Outcome.WARN,
        f"terway-controlplane runs ({found.namespace}/{found.name}): terway's custom pod configuration "
        "(PodNetworking) needs manual steps around the migration.",
        "Before migrating: scale the terway-controlplane Deployment to 0, and back up then delete its "
        "mutating and validating webhook configurations. If the migration fails: restore both webhooks and "
        "scale terway-controlplane back up. After it succeeds: delete the old Deployment and reinstall "
        "terway-controlplane from the cluster's Add-ons page.",
    )
