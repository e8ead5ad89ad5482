"""Checks on the cluster detail alone: its type, its state and its Kubernetes version."""

from __future__ import annotations

import re
from enum import StrEnum

from workers.checks.catalog import result
from workers.checks.model import CheckResult, Outcome

_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)")
_BUSY_STATES = {
    "migrating": "a migration is already in progress",
    "upgrading": "an upgrade is in progress",
    "updating": "an update is in progress",
    "scaling": "a scaling operation is in progress",
    "removing": "nodes are being removed",
    "draining": "nodes are being drained",
    "deleting": "the cluster is being deleted",
}


class ClusterKind(StrEnum):
    """What ACK says the cluster is. Only `dedicated` has customer-run masters to migrate; `unknown` is a
    detail we cannot read, which fails cluster-type but is not proof that the masters are gone."""

    DEDICATED = "dedicated"
    PRO = "pro"
    MANAGED = "managed"
    SERVERLESS = "serverless"
    EDGE = "edge"
    REGISTERED = "registered"
    UNKNOWN = "unknown"


# How each kind that is known not to be dedicated is named to the user ("The cluster is …").
NOT_DEDICATED: dict[ClusterKind, str] = {
    ClusterKind.PRO: "already an ACK Pro cluster",
    ClusterKind.MANAGED: "already a managed cluster",
    ClusterKind.SERVERLESS: "a serverless cluster",
    ClusterKind.EDGE: "an edge cluster",
    ClusterKind.REGISTERED: "a registered (external) cluster",
}
_FIXES = {
    ClusterKind.PRO: "Nothing to migrate.",
    ClusterKind.MANAGED: "Upgrade Basic to Pro in the console instead.",
}


def is_pro_spec(cluster_spec: str) -> bool:
    """Every `ack.pro.*` spec is ACK Pro: ack.pro.small, and the provisioned control plane tiers
    ack.pro.xlarge, ack.pro.2xlarge, ack.pro.4xlarge (alibabacloud_cs20151215 DescribeClusterDetailResponseBody
    cluster_spec); `ack.standard` is Basic."""
    return cluster_spec.strip().lower().startswith("ack.pro.")


def cluster_kind(*, cluster_type: str, cluster_spec: str, profile: str) -> ClusterKind:
    """Classify the detail's cluster_type / cluster_spec / profile, as ACK documents them."""
    default_profile = profile in ("", "Default")
    if cluster_type == "Kubernetes" and default_profile:
        return ClusterKind.DEDICATED
    if profile == "Serverless" or cluster_type == "Ask":
        return ClusterKind.SERVERLESS
    if profile == "Edge":
        return ClusterKind.EDGE
    if cluster_type == "ExternalKubernetes":
        return ClusterKind.REGISTERED
    if cluster_type == "ManagedKubernetes" and default_profile:
        return ClusterKind.PRO if is_pro_spec(cluster_spec) else ClusterKind.MANAGED
    return ClusterKind.UNKNOWN


def check_cluster_type(*, cluster_type: str, cluster_spec: str, profile: str) -> CheckResult:
    """Only a dedicated cluster (`Kubernetes`, default profile) has customer-run masters to migrate."""
    described = f"cluster_type {cluster_type or '(empty)'}, spec {cluster_spec or '(none)'}, profile {profile or 'Default'}"
    kind = cluster_kind(cluster_type=cluster_type, cluster_spec=cluster_spec, profile=profile)
    if kind is ClusterKind.DEDICATED:
        return result("cluster-type", Outcome.PASS, f"Dedicated cluster ({described}).")
    if kind in _FIXES:
        summary = f"The cluster is {NOT_DEDICATED[kind]} ({described})."
        return result("cluster-type", Outcome.FAIL, summary, _FIXES[kind])
    what = f" (it is {NOT_DEDICATED[kind]})" if kind in NOT_DEDICATED else ""
    return result(
        "cluster-type",
        Outcome.FAIL,
        f"Only dedicated clusters can be hot-migrated to ACK Pro; this one is not{what} ({described}).",
        "Choose a dedicated (Kubernetes) cluster.",
    )


def check_cluster_state(*, state: str) -> CheckResult:
    if state == "running":
        return result("cluster-state", Outcome.PASS, "The cluster is running.")
    reason = _BUSY_STATES.get(state, "the cluster is not healthy")
    return result(
        "cluster-state",
        Outcome.FAIL,
        f"The cluster is {state or '(no state)'}: {reason}.",
        "Wait until the cluster is running (or repair it), then run the precheck again.",
    )


def parse_minor_version(version: str) -> tuple[int, int] | None:
    """`1.16.9-aliyun.1` → (1, 16); None when it is not a Kubernetes version at all."""
    match = _VERSION_RE.match(version.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def check_k8s_version(*, current_version: str, minimum: str, advised: str) -> CheckResult:
    current = parse_minor_version(current_version)
    hard, soft = parse_minor_version(minimum), parse_minor_version(advised)
    if current is None or hard is None or soft is None:
        return result(
            "k8s-version",
            Outcome.ERROR,
            f"Could not read the Kubernetes version {current_version!r}.",
            "Check the cluster's version in the ACK console.",
        )
    if current < hard:
        return result(
            "k8s-version",
            Outcome.FAIL,
            f"Kubernetes {current_version} is older than {minimum}, the oldest version that can be migrated.",
            f"Upgrade the cluster to {advised} or later first.",
        )
    if current < soft:
        return result(
            "k8s-version",
            Outcome.WARN,
            f"Kubernetes {current_version} meets the minimum {minimum}, but Alibaba Cloud now asks for {advised}.",
            f"Consider upgrading to {advised} or later before migrating.",
        )
    return result("k8s-version", Outcome.PASS, f"Kubernetes {current_version} (at least {advised}).")
