"""Plain values the cloud clients return: what the rest of the code base is allowed to see of the SDKs.

Frozen dataclasses of strings, numbers and tuples, so they can be logged, compared in tests and turned
into JSON without knowing which SDK produced them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass(frozen=True)
class ClusterSummary:
    """One row of DescribeClustersForRegion: enough to tell clusters with similar names apart."""

    cluster_id: str
    name: str
    region_id: str
    cluster_type: str
    cluster_spec: str
    state: str
    current_version: str


@dataclass(frozen=True)
class UserQuota:
    """DescribeUserQuota's cluster quotas of one account (None: not in the answer)."""

    managed_clusters: int | None  # amk_cluster_quota: ACK managed clusters (Pro among them), default 20
    clusters: int | None  # cluster_quota: all clusters of the account, default 50


@dataclass(frozen=True)
class LoadBalancerRef:
    """An API-server load balancer as the cluster detail names it (control_plane_endpoints_config)."""

    load_balancer_id: str
    endpoint_type: str
    endpoint: str


@dataclass(frozen=True)
class ClusterDetail:
    """DescribeClusterDetail, reduced to what the checks and jobs read."""

    cluster_id: str
    name: str
    region_id: str
    cluster_type: str
    cluster_spec: str
    profile: str
    state: str
    current_version: str
    vpc_id: str = ""
    master_url: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    api_server_load_balancers: tuple[LoadBalancerRef, ...] = ()
    timezone: str = ""  # "" = not set


@dataclass(frozen=True)
class ClusterNode:
    """One node of DescribeClusterNodes; `role` is ACK's authoritative Master/Worker."""

    instance_id: str
    node_name: str
    role: str
    node_status: str
    state: str
    charge_type: str
    ip_addresses: tuple[str, ...] = ()

    @property
    def is_master(self) -> bool:
        return self.role.lower() == "master"


@dataclass(frozen=True)
class ClusterResource:
    """One row of DescribeClusterResources (a ROS resource the cluster owns)."""

    instance_id: str
    resource_type: str
    resource_info: str
    state: str
    auto_create: bool


@dataclass(frozen=True)
class Kubeconfig:
    config: str
    expiration: str


@dataclass(frozen=True)
class TaskStage:
    state: str
    message: str
    start_time: str
    end_time: str


@dataclass(frozen=True)
class TaskInfo:
    """DescribeTaskInfo: the state of an ACK task such as a migration (running/fail/success)."""

    task_id: str
    task_type: str
    state: str
    current_stage: str
    stages: tuple[TaskStage, ...]
    error_code: str
    error_message: str
    created: str
    updated: str


@dataclass(frozen=True)
class ClusterTask:
    """One row of DescribeClusterTasks: how a restarted job finds a migration it already started."""

    task_id: str
    task_type: str
    state: str
    created: str
    updated: str
    error_code: str = ""
    error_message: str = ""


@dataclass(frozen=True)
class ClusterCheckItem:
    """One item of ACK's check: its category (the key of `check_items`), name, status and message."""

    category: str
    name: str
    status: str
    message: str


@dataclass(frozen=True)
class ClusterCheckRun:
    """GetClusterCheck: ACK's own check (e.g. ClusterMigrate) and, once it ended, its items."""

    check_id: str
    check_type: str
    status: str
    message: str
    created_at: str
    finished_at: str
    items: tuple[ClusterCheckItem, ...] = ()


class StartedTask(NamedTuple):
    """What an asynchronous ACK action returns: the task to follow and the request id for the audit log.

    A NamedTuple so callers may unpack it: `task_id, request_id = ack.migrate_cluster(...)`.
    """

    task_id: str
    request_id: str


@dataclass(frozen=True)
class CloudAssistantStatus:
    instance_id: str
    installed: bool
    version: str
    last_heartbeat: str


@dataclass(frozen=True)
class LoadBalancer:
    """SLB DescribeLoadBalancerAttribute; `spec` is empty for a shared-performance instance."""

    load_balancer_id: str
    spec: str
    address_type: str
    charge_type: str
    status: str
    address: str
    vpc_id: str


@dataclass(frozen=True)
class AttachedPolicy:
    name: str
    policy_type: str
    default_version: str


@dataclass(frozen=True)
class PolicyVersion:
    """One version of a policy (GetPolicy's default one, or a row of ListPolicyVersions): its document is a
    JSON string, kept verbatim."""

    policy_name: str
    policy_type: str
    version_id: str
    document: str
    is_default: bool = True
    create_date: str = ""


@dataclass(frozen=True)
class BucketInfo:
    name: str
    location: str
    extranet_endpoint: str
    intranet_endpoint: str
    creation_date: str
    owner_id: str = ""


@dataclass(frozen=True)
class BucketSummary:
    """One row of ListBuckets: enough to offer the bucket for a cluster in `location`'s region."""

    name: str
    location: str  # oss-cn-hangzhou

    @property
    def region(self) -> str:
        return self.location.removeprefix("oss-")


@dataclass(frozen=True)
class BucketReferer:
    """Hotlink protection is on when a referer whitelist or blacklist is set."""

    allow_empty_referer: bool
    referers: tuple[str, ...]
    black_referers: tuple[str, ...] = ()

    @property
    def hotlink_protection(self) -> bool:
        return bool(self.referers or self.black_referers)


@dataclass(frozen=True)
class KubeNode:
    name: str
    provider_id: str
    labels: dict[str, str]
    ready: str

    @property
    def instance_id(self) -> str:
        """`cn-hangzhou.i-8vb2…` → `i-8vb2…` (ACK's providerID is `<region>.<instance-id>`)."""
        return self.provider_id.rpartition(".")[2]


@dataclass(frozen=True)
class OwnerRef:
    kind: str
    name: str


@dataclass(frozen=True)
class KubePod:
    namespace: str
    name: str
    node_name: str
    phase: str
    owners: tuple[OwnerRef, ...] = ()
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def qualified_name(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class Workload:
    """A DaemonSet or Deployment, with its images (how addons and cGPU editions are told apart)."""

    kind: str
    namespace: str
    name: str
    images: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PolicyChange:
    """A version RAM created or deleted, and the request id to quote to support."""

    version_id: str
    request_id: str


@dataclass(frozen=True)
class EcsInstance:
    """An instance as ECS DescribeInstances reports it: how it is billed decides how it can be released."""

    instance_id: str
    charge_type: str  # PostPaid (pay-as-you-go) | PrePaid (subscription); other values are kept as given
    status: str  # Running, Stopped, …
    expired_time: str = ""


@dataclass(frozen=True)
class DeploymentAvailability:
    """A Deployment's `Available` condition and replica counts, as `kubectl get deploy` shows them."""

    namespace: str
    name: str
    available: bool
    ready_replicas: int
    replicas: int


@dataclass(frozen=True)
class PodState:
    """Where a pod stands: its phase, its node, and why it is not scheduled when it is not."""

    name: str
    phase: str  # Pending | Running | Succeeded | Failed | Unknown
    node_name: str
    reason: str = ""  # e.g. the PodScheduled condition's reason: Unschedulable
    message: str = ""
