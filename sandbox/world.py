"""The simulated account: clusters with their nodes and pods, load balancers, RAM, buckets, tasks.

Every simulated service reads and changes this one model, under `World.lock`, so what ACK says about a
cluster, what its Kubernetes API lists and what ECS reports about its masters always agree. Time moves
lazily: `advance()` (called before each API call) walks running migrations forward by wall time times
`speed`, so nothing runs in the background and a test can go as fast as it likes.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.accounts import MAIN_ACCOUNT_ID, MAIN_ALIAS, SandboxAccount, valid_account_id, valid_alias
from sandbox.calls import CallLog, Faults

DEFAULT_REGION = "cn-hangzhou"
DEFAULT_VERSION = "1.22.15-aliyun.1"
MIGRATE_TASK_TYPE = "cluster_migrate"

MIGRATION_STAGES: tuple[tuple[str, str], ...] = (
    ("PreCheck", "Checking the cluster and the OSS bucket"),
    ("BackupEtcd", "Backing up etcd to the OSS bucket"),
    ("MigrateControlPlane", "Migrating the control plane to ACK Pro; the API server is unavailable"),
    ("SwitchEndpoint", "Switching the API server endpoint to the managed control plane"),
    ("PostCheck", "Verifying the managed control plane"),
)
"""What DescribeTaskInfo reports while a migration runs, in order."""

ACK_CHECK_ITEMS: tuple[str, ...] = (
    "ApiServerSLB",
    "ApiServerSLBListener",
    "ApiServerSLBBackend",
    "VPC",
    "VSwitchFreeIP",
    "Components",
)
"""The items the simulated ClusterMigrate check reports (ACK names the areas: API server SLB, VPC,
vSwitch free IPs, components; the item names are the sandbox's own)."""

SLB_SPECS = (
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


DEFAULT_QUOTAS = {
    "amk_cluster_quota": 20,
    "ask_cluster_quota": 20,
    "cluster_nodepool_quota": 20,
    "cluster_quota": 50,
    "node_quota": 100,
}
"""DescribeUserQuota's documented defaults (managed clusters 20, clusters per account 50, nodes per cluster 100)."""


class SpecError(ValueError):
    """A control-API spec that cannot be built; answered 400 with this text."""


def iso(ts: float | None = None) -> str:
    """The UTC ISO-8601 form ACK uses in its JSON (2026-11-25T06:02:11Z)."""
    return datetime.fromtimestamp(time.time() if ts is None else ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hex(n: int) -> str:
    return secrets.token_hex((n + 1) // 2)[:n]


def _alnum(n: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(n))


@dataclass
class Credential:
    access_key_id: str
    secret: str
    security_token: str | None = None
    account: str = MAIN_ACCOUNT_ID  # the account whose resources this credential reaches
    expires_at: float | None = None  # STS credentials expire (epoch seconds)


@dataclass
class Node:
    name: str  # cn-hangzhou.192.168.0.81
    instance_id: str  # i-bp1…
    role: str  # Master | Worker
    ip: str
    ready: str = "True"  # the Kubernetes Ready condition: True | False | Unknown
    cloud_assistant: bool = True
    charge_type: str = "PostPaid"  # PostPaid (pay-as-you-go) | PrePaid (subscription)
    instance_type: str = "ecs.g6.xlarge"
    created: float = field(default_factory=time.time)
    labels: dict[str, str] = field(default_factory=dict)
    in_kubernetes: bool = True  # False once `kubectl delete node` (or DeleteClusterNodes) removed it
    released: bool = False  # the ECS instance was released
    in_cluster: bool = True  # False once ACK removed it (DeleteClusterNodes): DescribeClusterNodes omits it
    uid: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def is_master(self) -> bool:
        return self.role == "Master"

    @property
    def provider_id(self) -> str:
        region = self.name.split(".", 1)[0]
        return f"{region}.{self.instance_id}"


@dataclass
class Workload:
    """A DaemonSet or Deployment; its pods are generated alongside it."""

    kind: str  # DaemonSet | Deployment
    namespace: str
    name: str
    image: str
    replicas: int = 1  # Deployments only
    labels: dict[str, str] = field(default_factory=dict)
    node_role: str | None = None  # DaemonSets: "Master", "Worker" or None for every node
    uid: str = field(default_factory=lambda: str(uuid.uuid4()))
    created: float = field(default_factory=time.time)


@dataclass
class Pod:
    namespace: str
    name: str
    node_name: str
    image: str
    owner_kind: str | None = None  # DaemonSet | ReplicaSet | Node (mirror pod) | None (bare pod)
    owner_name: str | None = None
    mirror: bool = False  # a static pod's mirror: annotation kubernetes.io/config.mirror
    labels: dict[str, str] = field(default_factory=dict)
    phase: str = "Running"
    uid: str = field(default_factory=lambda: str(uuid.uuid4()))
    created: float = field(default_factory=time.time)
    created_mono: float = field(default_factory=time.monotonic)
    from_api: bool = False  # created through the Kubernetes API: the scheduler places it (World.advance)


@dataclass
class LoadBalancer:
    load_balancer_id: str
    name: str
    spec: str  # "" for a shared-performance instance
    address_type: str  # intranet | internet
    address: str
    vpc_id: str
    region_id: str
    status: str = "active"
    charge_type: str = "PayBySpec"
    created: float = field(default_factory=time.time)


@dataclass
class PolicyVersion:
    version_id: str  # v1, v2, …
    document: str  # JSON text
    is_default: bool
    created: float = field(default_factory=time.time)


@dataclass
class RamPolicy:
    name: str
    account: str = MAIN_ACCOUNT_ID
    policy_type: str = "Custom"
    description: str = ""
    versions: list[PolicyVersion] = field(default_factory=list)
    next_version: int = 1
    created: float = field(default_factory=time.time)

    MAX_VERSIONS = 5

    @property
    def default(self) -> PolicyVersion:
        return next(v for v in self.versions if v.is_default)


@dataclass
class RamRole:
    name: str
    policies: list[str] = field(default_factory=list)  # attached custom policy names
    account: str = MAIN_ACCOUNT_ID
    created: float = field(default_factory=time.time)


@dataclass
class Bucket:
    name: str
    region_id: str
    allow_empty_referer: bool = True
    referers: list[str] = field(default_factory=list)  # non-empty = hotlink protection on
    objects: dict[str, tuple[bytes, float, str]] = field(default_factory=dict)  # key → (data, mtime, type)
    created: float = field(default_factory=time.time)
    acl: str = "private"
    storage_class: str = "Standard"
    account: str = MAIN_ACCOUNT_ID

    @property
    def location(self) -> str:
        return f"oss-{self.region_id}"


@dataclass
class Task:
    """An ACK task (a migration, a node removal) and how it unfolds over simulated time."""

    task_id: str
    cluster_id: str
    task_type: str  # cluster_migrate | remove_nodes
    stages: tuple[tuple[str, str], ...]
    duration_s: float
    fail_at_stage: int | None = None  # 1-based
    created: float = field(default_factory=time.time)
    started_mono: float = field(default_factory=time.monotonic)
    state: str = "running"  # running | fail | success
    stage_index: int = 0
    stage_started: list[float] = field(default_factory=list)  # wall time each stage began
    stage_ended: list[float] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, str] | None = None
    updated: float = field(default_factory=time.time)
    parameters: dict[str, Any] = field(default_factory=dict)
    failure: dict[str, str] | None = None  # the error to report at fail_at_stage instead of the generic one
    # "started": DescribeTaskInfo lists a stage once it began; "all": every stage from the start, pending
    # ones without times (ACK's documented stage fields allow both, so the bot must read either).
    stage_listing: str = "started"
    is_migration: bool = False  # what the sandbox knows; ACK's callers see only task_type


@dataclass
class ClusterCheck:
    """A RunClusterCheck run: it takes `duration_s` of simulated time, then reports its items."""

    check_id: str
    cluster_id: str
    check_type: str  # ClusterMigrate | ClusterUpgrade | MasterUpgrade | NodePoolUpgrade
    created: float = field(default_factory=time.time)
    started_mono: float = field(default_factory=time.monotonic)
    duration_s: float = 0.5
    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # decided when the check is run

    def finished(self, speed: float) -> bool:
        return (time.monotonic() - self.started_mono) * speed >= self.duration_s

    def failed_items(self) -> list[str]:
        return [item["name"] for rows in self.items.values() for item in rows if item["status"] == "Failed"]


@dataclass(frozen=True)
class AfterMigration:
    """How the cluster comes out of a successful migration (spec `after_migration`): what verification meets."""

    not_ready_workers: int = 0  # this many workers (the last ones) go NotReady
    coredns_available: bool = True  # False: CoreDNS's pods stop (its Deployment unavailable)
    canary_schedulable: bool = True  # False: no new pod can be scheduled (it stays Pending, Unschedulable)
    api_endpoint_changes: bool = False  # True: the kubeconfig ACK hands out names another API server address

    @classmethod
    def from_spec(cls, spec: Any) -> AfterMigration:
        if spec is None:
            return cls()
        if not isinstance(spec, dict):
            raise SpecError("after_migration must be an object")
        known = {"not_ready_workers", "coredns_available", "canary_schedulable", "api_endpoint_changes"}
        unknown = sorted(set(spec) - known)
        if unknown:
            raise SpecError(f"unknown after_migration field(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        count = spec.get("not_ready_workers", 0)
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise SpecError("after_migration.not_ready_workers must be a non-negative count")
        flags = {}
        for name in ("coredns_available", "canary_schedulable", "api_endpoint_changes"):
            value = spec.get(name, getattr(cls, name))
            if not isinstance(value, bool):
                raise SpecError(f"after_migration.{name} must be true or false")
            flags[name] = value
        return cls(not_ready_workers=count, **flags)


SCHEDULE_AFTER_S = 1.0
"""Simulated seconds a created pod spends Pending before the scheduler places it and it runs."""


@dataclass
class Cluster:
    cluster_id: str
    name: str
    region_id: str
    cluster_type: str  # Kubernetes (dedicated) | ManagedKubernetes
    cluster_spec: str  # "" / ack.standard / ack.pro.small
    profile: str
    state: str
    current_version: str
    vpc_id: str
    vswitch_id: str
    security_group_id: str
    api_slb_id: str  # the API server's internal SLB
    ingress_slb_id: str  # external_loadbalancer_id: the Ingress SLB, not the API server
    master_role: str  # KubernetesMasterRole-<uuid>
    whitelisted: bool
    migration_duration_s: float
    migration_fail_at_stage: int | None
    cgpu: str  # none | basic | professional
    addons: list[str]
    kube_token: str
    subnet: int  # the 192.168.<subnet>.x block its nodes live in
    nodes: list[Node] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    pods: list[Pod] = field(default_factory=list)
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    tags: list[dict[str, str]] = field(default_factory=list)
    timezone: str = "Asia/Shanghai"  # "" = never set (the migration doc asks for it to be set first)
    api_server_public: bool = False  # the API server is (also) behind an internet-facing SLB
    vswitch_free_ips: int = 200  # free IPs left in the control plane's vSwitch
    terway_pod_networking: bool = False  # terway with custom pod configuration (terway-controlplane)
    ack_check_fail_items: list[str] = field(default_factory=list)  # ClusterMigrate check items made to fail
    ack_check_duration_s: float = 0.5  # simulated seconds a ClusterMigrate check runs
    stage_listing: str = "started"
    api_public_slb_id: str = ""
    account: str = MAIN_ACCOUNT_ID  # the account that owns it: only that account's credentials reach it
    # What the migration's task and the cluster are called while it runs: neither is documented by ACK,
    # so tests vary them to prove the bot does not depend on them.
    migration_task_type: str = MIGRATE_TASK_TYPE
    migrating_state: str = "migrating"
    after_migration: AfterMigration = field(default_factory=AfterMigration)
    api_path: str = ""  # the path segment its API server answers under; "" = the cluster id
    created_namespaces: set[str] = field(default_factory=set)  # made through the Kubernetes API
    # admissionregistration.k8s.io/v1: resource (mutatingwebhookconfigurations | validatingwebhookconfigurations)
    # → name → the object as stored
    webhooks: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {"mutatingwebhookconfigurations": {}, "validatingwebhookconfigurations": {}}
    )

    @property
    def api_paths(self) -> set[str]:
        """Where its API server answers: the cluster id, and the moved address once the endpoint changed."""
        return {self.cluster_id, self.api_path or self.cluster_id}

    @property
    def masters(self) -> list[Node]:
        return [n for n in self.nodes if n.is_master]

    @property
    def workers(self) -> list[Node]:
        return [n for n in self.nodes if not n.is_master]

    def node(self, name: str) -> Node | None:
        return next((n for n in self.nodes if n.name == name and n.in_kubernetes), None)

    @property
    def kube_nodes(self) -> list[Node]:
        return [n for n in self.nodes if n.in_kubernetes]

    @property
    def kube_pods(self) -> list[Pod]:
        present = {n.name for n in self.kube_nodes}
        return [p for p in self.pods if p.node_name in present]


DEFAULT_MASTER_POLICY = {
    "Version": "1",
    "Statement": [
        {"Action": ["ecs:Describe*", "ecs:AttachDisk", "ecs:DetachDisk", "ecs:CreateNetworkInterface"],
         "Resource": ["*"], "Effect": "Allow"},
        {"Action": ["slb:Describe*", "slb:CreateLoadBalancer", "slb:SetBackendServers"],
         "Resource": ["*"], "Effect": "Allow"},
        {"Action": ["vpc:Describe*", "vpc:CreateRouteEntry", "vpc:DeleteRouteEntry"],
         "Resource": ["*"], "Effect": "Allow"},
        {"Action": ["log:*"], "Resource": ["acs:log:*:*:project/k8s-log-*"], "Effect": "Allow"},
    ],
}


def oss_statement(bucket: str) -> dict[str, Any]:
    """The statement the seed procedure asks to add to the master role policy."""
    return {
        "Action": ["oss:PutObject", "oss:GetObject"],
        "Effect": "Allow",
        "Resource": [f"acs:oss:*:*:{bucket}/*"],
    }


class World:
    """Everything the sandbox simulates, guarded by one re-entrant lock."""

    def __init__(self, *, speed: float = 1.0) -> None:
        if speed <= 0:
            raise SpecError("speed must be positive")
        self.lock = threading.RLock()
        self.speed = speed
        self.calls = CallLog()
        self.faults = Faults()
        self.credentials: dict[str, Credential] = {}
        self.accounts: dict[str, SandboxAccount] = {MAIN_ACCOUNT_ID: SandboxAccount(MAIN_ACCOUNT_ID, MAIN_ALIAS)}
        self.quotas: dict[str, dict[str, int]] = {}  # account id → DescribeUserQuota values set by a test
        self.clusters: dict[str, Cluster] = {}
        self.load_balancers: dict[str, LoadBalancer] = {}
        self.roles: dict[str, RamRole] = {}
        self.policies: dict[str, RamPolicy] = {}
        self.buckets: dict[str, Bucket] = {}
        self.tasks: dict[str, Task] = {}
        self.ecs_client_tokens: dict[str, list[str]] = {}  # DeleteInstances ClientToken → the ids it released
        self.checks: dict[str, ClusterCheck] = {}
        # Pods created through the Kubernetes API and not yet placed: the only ones the scheduler looks at,
        # so that advance() (run under the lock on every call) costs nothing per cluster of a 500-cluster fleet.
        self.unscheduled: list[tuple[Cluster, Pod]] = []
        self.endpoints: dict[str, str] = {}  # service → base URL, filled in when the servers listen
        self.slack: Any = None  # sandbox.slack's workspace, attached by the runtime
        self._subnets = itertools.count(1)

    # --- credentials -------------------------------------------------------------------------------

    def add_credential(
        self, access_key_id: str, secret: str, security_token: str | None = None, *,
        account: str = MAIN_ACCOUNT_ID, expires_at: float | None = None,
    ) -> Credential:
        credential = Credential(access_key_id, secret, security_token, account=account, expires_at=expires_at)
        self.credentials[access_key_id] = credential
        return credential

    # --- accounts ------------------------------------------------------------------------------------

    def add_account(self, spec: dict[str, Any]) -> SandboxAccount:
        """Another account, reachable only through STS AssumeRole of its role (sandbox.accounts)."""
        account_id, alias = str(spec.get("account_id") or ""), str(spec.get("alias") or "")
        if not valid_account_id(account_id):
            raise SpecError("account_id must be 16 digits, like 1234567890123456")
        if not valid_alias(alias):
            raise SpecError("alias must be lower-case letters, digits, '-' or '_' (at most 32)")
        if account_id in self.accounts or any(a.alias == alias for a in self.accounts.values()):
            raise SpecError(f"an account with id {account_id} or alias {alias} already exists")
        account = SandboxAccount(account_id, alias)
        self.accounts[account_id] = account
        if spec.get("quotas") is not None:
            self.set_quotas(account_id, spec["quotas"])
        return account

    def set_quotas(self, account: Any, quotas: Any) -> None:
        if not isinstance(quotas, dict) or set(quotas) - set(DEFAULT_QUOTAS) or not all(
            isinstance(v, int) and v >= 0 for v in quotas.values()
        ):
            raise SpecError(f"quotas takes whole numbers for {', '.join(DEFAULT_QUOTAS)}")
        self.quotas.setdefault(self.account_named(account), {}).update(quotas)

    def quotas_of(self, account_id: str) -> dict[str, Any]:
        return {**DEFAULT_QUOTAS, **self.quotas.get(account_id, {})}

    def account_by_role(self, role_arn: str) -> SandboxAccount | None:
        return next((a for a in self.accounts.values() if a.role_arn == role_arn), None)

    def account_named(self, id_or_alias: Any) -> str:
        """The account id a spec's `account` (an id or an alias; absent = the main account) names."""
        if id_or_alias is None or id_or_alias == "":
            return MAIN_ACCOUNT_ID
        for account in self.accounts.values():
            if id_or_alias in (account.account_id, account.alias):
                return account.account_id
        known = ", ".join(f"{a.alias} ({a.account_id})" for a in self.accounts.values())
        raise SpecError(f"no account {id_or_alias!r}; accounts: {known}")

    # --- lookups -------------------------------------------------------------------------------------

    def cluster(self, cluster_id: str, *, account: str | None = None) -> Cluster | None:
        """The cluster by id; with `account`, only if that account owns it (another's is not found)."""
        cluster = self.clusters.get(cluster_id)
        if cluster is None or (account is not None and cluster.account != account):
            return None
        return cluster

    def cluster_by_api_path(self, segment: str) -> Cluster | None:
        """The cluster whose API server answers under `/clusters/{segment}` (its id, or its moved address)."""
        return self.clusters.get(segment) or next(
            (c for c in self.clusters.values() if segment in c.api_paths), None
        )

    def cluster_by_token(self, token: str) -> Cluster | None:
        return next((c for c in self.clusters.values() if c.kube_token == token), None)

    def instance(self, instance_id: str, *, account: str | None = None) -> tuple[Cluster, Node] | None:
        for cluster in self.clusters.values():
            if account is not None and cluster.account != account:
                continue
            for node in cluster.nodes:
                if node.instance_id == instance_id and not node.released:
                    return cluster, node
        return None

    def cluster_tasks(self, cluster_id: str) -> list[Task]:
        return sorted((t for t in self.tasks.values() if t.cluster_id == cluster_id), key=lambda t: t.created)

    def running_migration(self, cluster_id: str) -> Task | None:
        return next(
            (t for t in self.cluster_tasks(cluster_id) if t.is_migration and t.state == "running"),
            None,
        )

    def api_server_down(self, cluster_id: str) -> bool:
        """True while a migration is in its control-plane stage: the real API server is away then."""
        task = self.running_migration(cluster_id)
        return task is not None and task.stages[task.stage_index][0] == "MigrateControlPlane"

    # --- building ----------------------------------------------------------------------------------

    def create_bucket(self, spec: dict[str, Any]) -> Bucket:
        name = spec.get("name")
        if not isinstance(name, str) or not name:
            raise SpecError("a bucket needs a name")
        if name in self.buckets:
            raise SpecError(f"bucket {name} already exists")
        referers = spec.get("referers") or []
        if not isinstance(referers, list):
            raise SpecError("referers must be a list of strings")
        bucket = Bucket(
            name=name,
            region_id=str(spec.get("region_id") or DEFAULT_REGION),
            referers=[str(r) for r in referers],
            allow_empty_referer=bool(spec.get("allow_empty_referer", not referers)),
            account=self.account_named(spec.get("account")),
        )
        self.buckets[name] = bucket
        return bucket

    def create_cluster(self, spec: dict[str, Any]) -> Cluster:
        """Build a cluster from a control-API spec; every field is optional (the README's cluster spec table lists them)."""
        known = {
            "name", "region_id", "cluster_type", "cluster_spec", "state", "current_version", "masters",
            "workers", "cloud_assistant", "slb_spec", "pods_on_masters", "cgpu", "whitelisted", "migration",
            "addons", "oss_granted_buckets", "charge_types", "profile", "master_policy", "timezone",
            "api_server_public", "vswitch_free_ips", "terway_pod_networking", "ack_check", "after_migration",
            "account",
        }
        unknown = sorted(set(spec) - known)
        if unknown:
            raise SpecError(f"unknown cluster spec field(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        cluster_type = spec.get("cluster_type", "Kubernetes")
        if cluster_type not in ("Kubernetes", "ManagedKubernetes", "ExternalKubernetes"):
            raise SpecError("cluster_type must be Kubernetes (dedicated) or ManagedKubernetes")
        managed = cluster_type != "Kubernetes"
        masters = spec.get("masters", 0 if managed else 3)
        workers = spec.get("workers", 3)
        if not isinstance(masters, int) or not isinstance(workers, int) or masters < 0 or workers < 0:
            raise SpecError("masters and workers must be non-negative counts")
        if masters > 50 or workers > 500:
            raise SpecError("at most 50 masters and 500 workers")
        cgpu = spec.get("cgpu", "none")
        if cgpu not in ("none", "basic", "professional"):
            raise SpecError("cgpu must be none, basic or professional")
        slb_spec = spec.get("slb_spec", "slb.s2.small")
        if slb_spec != "shared" and slb_spec not in SLB_SPECS and slb_spec != "slb.lcu.elastic":
            raise SpecError(f"slb_spec must be shared or one of {', '.join(SLB_SPECS)}")
        migration = spec.get("migration") or {}
        if not isinstance(migration, dict):
            raise SpecError("migration must be an object {duration_s, fail_at_stage}")
        fail_at = migration.get("fail_at_stage")
        if isinstance(fail_at, str):
            names = [s[0] for s in MIGRATION_STAGES]
            if fail_at not in names:
                raise SpecError(f"fail_at_stage must be 1-{len(names)} or one of {', '.join(names)}")
            fail_at = names.index(fail_at) + 1
        if fail_at is not None and not (isinstance(fail_at, int) and 1 <= fail_at <= len(MIGRATION_STAGES)):
            raise SpecError(f"fail_at_stage must be 1-{len(MIGRATION_STAGES)}")
        stage_listing = migration.get("stage_listing", "started")
        if stage_listing not in ("started", "all"):
            raise SpecError('migration.stage_listing must be "started" or "all"')
        duration = migration.get("duration_s", 60)
        if not isinstance(duration, int | float) or duration <= 0:
            raise SpecError("migration.duration_s must be a positive number of seconds")
        extras = _current_prerequisites(spec)
        account = self.account_named(spec.get("account"))
        region = str(spec.get("region_id") or DEFAULT_REGION)
        name = str(spec.get("name") or f"cluster-{_alnum(6)}")
        subnet = next(self._subnets) % 250
        cluster_id = "c" + _hex(32)
        role_uuid = str(uuid.uuid4())
        cluster = Cluster(
            cluster_id=cluster_id,
            name=name,
            region_id=region,
            cluster_type=cluster_type,
            cluster_spec=str(spec.get("cluster_spec", "ack.pro.small" if managed else "")),
            profile=str(spec.get("profile", "Default")),
            state=str(spec.get("state", "running")),
            current_version=str(spec.get("current_version", DEFAULT_VERSION)),
            vpc_id="vpc-" + _alnum(21),
            vswitch_id="vsw-" + _alnum(21),
            security_group_id="sg-" + _alnum(20),
            api_slb_id="",
            ingress_slb_id="",
            master_role=f"KubernetesMasterRole-{role_uuid}",
            whitelisted=bool(spec.get("whitelisted", True)),
            migration_duration_s=float(duration),
            migration_fail_at_stage=fail_at,
            cgpu=cgpu,
            addons=[str(a) for a in spec.get("addons", [])],
            kube_token=secrets.token_urlsafe(24),
            subnet=subnet,
            stage_listing=stage_listing,
            migration_task_type=str(migration.get("task_type") or MIGRATE_TASK_TYPE),
            migrating_state=str(migration.get("cluster_state") or "migrating"),
            account=account,
            **extras,
        )
        cluster.after_migration = AfterMigration.from_spec(spec.get("after_migration"))
        if cluster.terway_pod_networking and "terway-controlplane" not in cluster.addons:
            cluster.addons.append("terway-controlplane")
        self._add_load_balancers(cluster, slb_spec)
        if cluster.api_server_public:
            self._add_public_api_slb(cluster)
        self._add_ram(cluster, role_uuid, spec.get("oss_granted_buckets") or [], spec.get("master_policy") or {})
        self._add_nodes(cluster, masters, workers, spec.get("cloud_assistant", True), spec.get("charge_types"))
        self._add_workloads(cluster)
        self._add_pods_on_masters(cluster, spec.get("pods_on_masters") or [])
        self.clusters[cluster_id] = cluster
        return cluster

    def _add_load_balancers(self, cluster: Cluster, slb_spec: str) -> None:
        api = LoadBalancer(
            load_balancer_id="lb-" + _alnum(22),
            name=f"k8s-api-{cluster.cluster_id[:8]}",
            spec="" if slb_spec == "shared" else slb_spec,
            address_type="intranet",
            address=f"192.168.{cluster.subnet}.250",
            vpc_id=cluster.vpc_id,
            region_id=cluster.region_id,
            charge_type="PayByCLCU" if slb_spec == "slb.lcu.elastic" else "PayBySpec",
        )
        ingress = _internet_slb(cluster, name=f"ingress-{cluster.cluster_id[:8]}", block=96)
        for lb in (api, ingress):
            self.load_balancers[lb.load_balancer_id] = lb
        cluster.api_slb_id = api.load_balancer_id
        cluster.ingress_slb_id = ingress.load_balancer_id

    def _add_public_api_slb(self, cluster: Cluster) -> None:
        """An internet-facing SLB in front of the API server, next to the internal one (older clusters)."""
        public = _internet_slb(cluster, name=f"k8s-api-public-{cluster.cluster_id[:8]}", block=97)
        self.load_balancers[public.load_balancer_id] = public
        cluster.api_public_slb_id = public.load_balancer_id

    def _add_ram(self, cluster: Cluster, role_uuid: str, granted: list[str], shape: dict[str, Any]) -> None:
        """The master role and its policy. `shape` (spec field `master_policy`): `statements` appended to
        the default document, `versions` how many versions the policy already has (the newest is default)."""
        if cluster.cluster_type != "Kubernetes":
            return  # managed clusters have no customer-run masters, so no master role
        if not isinstance(shape, dict) or set(shape) - {"statements", "versions"}:
            raise SpecError("master_policy is {\"statements\": [...], \"versions\": N}")
        extra = shape.get("statements") or []
        count = shape.get("versions", 1)
        if not isinstance(extra, list) or not all(isinstance(x, dict) for x in extra):
            raise SpecError("master_policy.statements must be a list of statement objects")
        if not isinstance(count, int) or not 1 <= count <= RamPolicy.MAX_VERSIONS:
            raise SpecError(f"master_policy.versions must be 1 to {RamPolicy.MAX_VERSIONS}")
        document = json.loads(json.dumps(DEFAULT_MASTER_POLICY))
        for bucket in granted:
            document["Statement"].append(oss_statement(str(bucket)))
        document["Statement"].extend(extra)
        policy = RamPolicy(name=f"k8sMasterRolePolicy-{role_uuid}", description="k8s master role policy",
                           account=cluster.account)
        now = time.time()
        for number in range(1, count + 1):
            # Older versions held the default statements only; the newest (default) one is the full document.
            text = json.dumps(document if number == count else DEFAULT_MASTER_POLICY, indent=2)
            policy.versions.append(PolicyVersion(f"v{number}", text, number == count, now - (count - number) * 86400))
        policy.next_version = count + 1
        self.policies[policy.name] = policy
        self.roles[cluster.master_role] = RamRole(cluster.master_role, [policy.name], account=cluster.account)

    def _add_nodes(
        self, cluster: Cluster, masters: int, workers: int, assistant: Any, charge_types: Any
    ) -> None:
        if isinstance(assistant, bool):
            assistant_per_master = [assistant] * masters
        elif isinstance(assistant, list) and len(assistant) == masters and all(isinstance(a, bool) for a in assistant):
            assistant_per_master = list(assistant)
        else:
            raise SpecError("cloud_assistant must be true, false, or a list of booleans, one per master")
        if charge_types is None:
            charges = ["PostPaid"] * masters
        elif isinstance(charge_types, list) and len(charge_types) == masters:
            charges = [str(c) for c in charge_types]
        else:
            raise SpecError("charge_types must be a list with one of PostPaid/PrePaid per master")
        prefix = {"cn-hangzhou": "bp1", "cn-shanghai": "uf6", "cn-beijing": "2ze", "cn-shenzhen": "wz9"}
        zone = prefix.get(cluster.region_id, "gw8")
        for index in range(masters + workers):
            is_master = index < masters
            ip = f"192.168.{cluster.subnet}.{(index + 1) if is_master else (index + 80)}"
            labels = {
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/hostname": f"{cluster.region_id}.{ip}",
                "topology.kubernetes.io/region": cluster.region_id,
                "topology.kubernetes.io/zone": f"{cluster.region_id}-h",
                "node.kubernetes.io/instance-type": "ecs.g6.xlarge" if is_master else "ecs.g6.2xlarge",
                "alibabacloud.com/nodepool-id": "" if is_master else "np" + _hex(30),
            }
            if is_master:
                labels["node-role.kubernetes.io/master"] = ""
            elif cluster.cgpu != "none":
                labels["cgpu"] = "true"
            cluster.nodes.append(
                Node(
                    name=f"{cluster.region_id}.{ip}",
                    instance_id=f"i-{zone}{_alnum(17)}",
                    role="Master" if is_master else "Worker",
                    ip=ip,
                    cloud_assistant=assistant_per_master[index] if is_master else True,
                    charge_type=charges[index] if is_master else "PostPaid",
                    instance_type=labels["node.kubernetes.io/instance-type"],
                    labels=labels,
                )
            )

    def _add_workloads(self, cluster: Cluster) -> None:
        ds = [
            ("kube-proxy-master", "Master"), ("kube-proxy-worker", "Worker"), ("terway-eniip", None),
            ("csi-plugin", None), ("logtail-ds", None), ("node-problem-detector", None),
        ]
        for name, role in ds:
            if role == "Master" and not cluster.masters:
                continue
            self._workload(cluster, "DaemonSet", "kube-system", name, node_role=role)
        deployments = [("coredns", 2), ("metrics-server", 1), ("csi-provisioner", 2), ("nginx-ingress-controller", 2),
                       ("alibaba-log-controller", 1)]
        for name, replicas in deployments:
            self._workload(cluster, "Deployment", "kube-system", name, replicas=replicas)
        self._workload(cluster, "Deployment", "default", "web", replicas=3)
        if cluster.cgpu == "basic":
            release = {"release": "cgpu", "chart": "ack-cgpu", "heritage": "Helm"}
            self._workload(cluster, "DaemonSet", "kube-system", "cgpu-installer", node_role="Worker", labels=release)
            self._workload(cluster, "DaemonSet", "kube-system", "gpushare-device-plugin-ds", node_role="Worker",
                           labels=release)
            self._workload(cluster, "Deployment", "kube-system", "gpushare-schd-extender", labels=release)
        elif cluster.cgpu == "professional":
            release = {"release": "ack-ai-installer", "heritage": "Helm"}
            self._workload(cluster, "DaemonSet", "kube-system", "gpushare-device-plugin-ds", node_role="Worker",
                           labels=release)
            self._workload(cluster, "Deployment", "kube-system", "gpushare-schd-extender", labels=release)
        addon_workloads = {
            "alb-ingress-controller": ("kube-system", "alb-ingress-controller"),
            "ack-virtual-node": ("kube-system", "ack-virtual-node-affinity-admission-controller"),
            "terway-controlplane": ("kube-system", "terway-controlplane"),
        }
        for addon in cluster.addons:
            if addon not in addon_workloads:
                raise SpecError(f"addons may list {', '.join(addon_workloads)} (got {addon!r})")
            namespace, name = addon_workloads[addon]
            self._workload(cluster, "Deployment", namespace, name, labels={"app": addon})
            if addon == "terway-controlplane":
                self._add_terway_webhooks(cluster)
        for node in cluster.masters:
            for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
                cluster.pods.append(
                    Pod(
                        namespace="kube-system",
                        name=f"{component}-{node.name}",
                        node_name=node.name,
                        image=f"registry-{cluster.region_id}-vpc.ack.aliyuncs.com/acs/{component}:v{cluster.current_version}",
                        owner_kind="Node",
                        owner_name=node.name,
                        mirror=True,
                        labels={"component": component, "tier": "control-plane"},
                    )
                )

    def _add_terway_webhooks(self, cluster: Cluster) -> None:
        """terway-controlplane's admission webhooks (they serve PodNetworking's custom pod configuration)."""
        for resource, kind in (("mutatingwebhookconfigurations", "MutatingWebhookConfiguration"),
                               ("validatingwebhookconfigurations", "ValidatingWebhookConfiguration")):
            short = "mutating" if resource.startswith("mutating") else "validating"
            cluster.webhooks[resource]["terway-controlplane"] = {
                "kind": kind,
                "apiVersion": "admissionregistration.k8s.io/v1",
                "metadata": {"name": "terway-controlplane", "uid": str(uuid.uuid4()),
                             "creationTimestamp": iso(cluster.created), "labels": {"app": "terway-controlplane"}},
                "webhooks": [{
                    "name": f"terway-controlplane-{short}.k8s.alibabacloud.com",
                    "clientConfig": {"service": {"namespace": "kube-system", "name": "terway-controlplane",
                                                 "path": f"/{short}", "port": 443},
                                     "caBundle": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="},
                    "rules": [{"operations": ["CREATE"], "apiGroups": ["", "network.alibabacloud.com"],
                               "apiVersions": ["v1", "v1beta1"], "resources": ["pods", "podnetworkings"],
                               "scope": "*"}],
                    "failurePolicy": "Ignore",
                    "matchPolicy": "Equivalent",
                    "sideEffects": "None",
                    "timeoutSeconds": 10,
                    "admissionReviewVersions": ["v1", "v1beta1"],
                    **({"reinvocationPolicy": "Never"} if short == "mutating" else {}),
                }],
            }

    def scale_workload(self, cluster: Cluster, workload: Workload, replicas: int) -> None:
        """A Deployment's replica count changed: its ReplicaSet's pods follow (removed, or added on workers)."""
        pods = [p for p in cluster.pods if p.namespace == workload.namespace and p.owner_kind == "ReplicaSet"
                and p.owner_name and p.owner_name.rsplit("-", 1)[0] == workload.name]
        replica_set = pods[0].owner_name if pods else f"{workload.name}-{_alnum(10)}"
        for pod in pods[replicas:]:
            cluster.pods.remove(pod)
        workers = cluster.workers or cluster.nodes
        for index in range(len(pods), replicas):
            placed = workers[index % len(workers)] if workers else None
            cluster.pods.append(Pod(namespace=workload.namespace, name=f"{replica_set}-{_alnum(5)}",
                                    node_name=placed.name if placed else "", image=workload.image,
                                    owner_kind="ReplicaSet", owner_name=replica_set, labels=dict(workload.labels),
                                    phase="Running" if placed else "Pending"))
        workload.replicas = replicas
        cluster.updated = time.time()

    def _workload(
        self,
        cluster: Cluster,
        kind: str,
        namespace: str,
        name: str,
        *,
        replicas: int = 1,
        node_role: str | None = None,
        labels: dict[str, str] | None = None,
    ) -> Workload:
        image = f"registry-{cluster.region_id}-vpc.ack.aliyuncs.com/acs/{name}:v1.0.0"
        workload = Workload(kind=kind, namespace=namespace, name=name, image=image, replicas=replicas,
                            labels={"app": name, **(labels or {})}, node_role=node_role)
        cluster.workloads.append(workload)
        if kind == "DaemonSet":
            for node in cluster.nodes:
                if node_role is None or node.role == node_role:
                    cluster.pods.append(Pod(namespace=namespace, name=f"{name}-{_alnum(5)}", node_name=node.name,
                                            image=image, owner_kind="DaemonSet", owner_name=name,
                                            labels=dict(workload.labels)))
        else:
            workers = cluster.workers or cluster.nodes
            replica_set = f"{name}-{_alnum(10)}"
            for index in range(replicas):
                placed = workers[index % len(workers)] if workers else None
                cluster.pods.append(Pod(namespace=namespace, name=f"{replica_set}-{_alnum(5)}",
                                        node_name=placed.name if placed else "", image=image, owner_kind="ReplicaSet",
                                        owner_name=replica_set, labels=dict(workload.labels),
                                        phase="Running" if placed else "Pending"))
        return workload

    def _add_pods_on_masters(self, cluster: Cluster, names: list[Any]) -> None:
        if names and not cluster.masters:
            raise SpecError("pods_on_masters needs a cluster with masters")
        for index, entry in enumerate(names):
            if not isinstance(entry, str) or entry.count("/") != 1:
                raise SpecError(f"pods_on_masters entries are namespace/name (got {entry!r})")
            namespace, name = entry.split("/")
            node = cluster.masters[index % len(cluster.masters)]
            cluster.pods.append(Pod(namespace=namespace, name=name, node_name=node.name,
                                    image=f"registry.example.com/{name}:latest", owner_kind="ReplicaSet",
                                    owner_name=name.rsplit("-", 1)[0] if "-" in name else name,
                                    labels={"app": name}))

    # --- migrations and other tasks --------------------------------------------------------------------

    def start_migration(self, cluster: Cluster, *, bucket: str, bucket_endpoint: str) -> Task:
        task = Task(
            task_id="T-" + _hex(24),
            cluster_id=cluster.cluster_id,
            task_type=cluster.migration_task_type,
            stages=MIGRATION_STAGES,
            duration_s=cluster.migration_duration_s,
            fail_at_stage=cluster.migration_fail_at_stage,
            parameters={"oss_bucket_name": bucket, "oss_bucket_endpoint": bucket_endpoint},
            stage_listing=cluster.stage_listing,
            is_migration=True,
        )
        task.stage_started.append(task.created)
        task.events.append(_event("MigrateStarted", "Normal", f"Stage 1/{len(task.stages)}: {task.stages[0][1]}"))
        self.tasks[task.task_id] = task
        cluster.state = cluster.migrating_state
        cluster.updated = time.time()
        return task

    def run_cluster_check(self, cluster: Cluster, *, check_type: str) -> ClusterCheck:
        """RunClusterCheck: the ClusterMigrate items are derived from the cluster as it is now."""
        check = ClusterCheck(
            check_id=f"{int(time.time() * 1e9)}-{cluster.cluster_id}-clustercheck-{_alnum(5)}",
            cluster_id=cluster.cluster_id,
            check_type=check_type,
            duration_s=cluster.ack_check_duration_s,
        )
        if check_type == "ClusterMigrate":
            check.items = self._migrate_check_items(cluster)
        self.checks[check.check_id] = check
        return check

    def _migrate_check_items(self, cluster: Cluster) -> dict[str, list[dict[str, Any]]]:
        api = self.load_balancers.get(cluster.api_slb_id)
        findings = {
            "ApiServerSLB": (api is not None and api.status == "active",
                             f"API server SLB {cluster.api_slb_id or '(none)'} exists and is active"),
            "ApiServerSLBListener": (api is not None, "the API server SLB listens on 6443"),
            "ApiServerSLBBackend": (bool(cluster.masters), "the API server SLB has the masters as backends"),
            "VPC": (bool(cluster.vpc_id), f"VPC {cluster.vpc_id} is available"),
            "VSwitchFreeIP": (cluster.vswitch_free_ips >= 2,
                              f"vSwitch {cluster.vswitch_id} has {cluster.vswitch_free_ips} free IPs (at least 2 needed)"),
            "Components": (True, "the cluster's components can run on the managed control plane"),
        }

        def item(name: str) -> dict[str, Any]:
            passed, message = findings[name]
            if name in cluster.ack_check_fail_items:
                passed = False
            return {"name": name, "status": "Succeeded" if passed else "Failed",
                    "message": message if passed else f"check failed: {message} is not true"}

        resources = [item(n) for n in ACK_CHECK_ITEMS if n != "Components"]
        return {"Resources": resources, "Components": [item("Components")]}

    def start_node_removal(self, cluster: Cluster, *, nodes: list[Node], release: bool, drain: bool) -> Task:
        """DeleteClusterNodes: the nodes leave Kubernetes at once; ECS instances are released if asked."""
        task = Task(
            task_id="T-" + _hex(24),
            cluster_id=cluster.cluster_id,
            task_type="remove_nodes",
            stages=(("RemoveNodes", "Removing nodes from the cluster"),),
            duration_s=5.0,
            parameters={"nodes": [n.name for n in nodes], "release_node": release, "drain_node": drain},
        )
        task.stage_started.append(task.created)
        self.tasks[task.task_id] = task
        for node in nodes:
            node.in_kubernetes = False
            node.in_cluster = False
            if release:
                node.released = True
        return task

    def advance(self) -> None:
        """Walk every running task forward to the present (call with the lock held)."""
        now_mono = time.monotonic()
        if self.unscheduled:
            self._schedule_pods(now_mono)
        for task in self.tasks.values():
            if task.state != "running":
                continue
            elapsed = (now_mono - task.started_mono) * self.speed
            per_stage = task.duration_s / len(task.stages)
            target = min(int(elapsed / per_stage), len(task.stages))
            while task.stage_index < target and task.state == "running":
                if task.fail_at_stage == task.stage_index + 1:
                    self._fail(task)
                    break
                self._finish_stage(task)
            if task.state == "running" and task.fail_at_stage == task.stage_index + 1 and elapsed >= (
                task.stage_index + 0.5
            ) * per_stage:
                self._fail(task)

    def pod_created(self, cluster: Cluster, pod: Pod) -> None:
        """A pod created through the Kubernetes API: the scheduler places it (call with the lock held)."""
        cluster.pods.append(pod)
        self.unscheduled.append((cluster, pod))

    def _schedule_pods(self, now_mono: float) -> None:
        """The scheduler: a pod created through the API runs on a Ready worker after SCHEDULE_AFTER_S, unless
        the cluster cannot schedule (spec `after_migration.canary_schedulable`) or has no Ready worker.
        A pod deleted before it was placed is forgotten."""
        waiting: list[tuple[Cluster, Pod]] = []
        for cluster, pod in self.unscheduled:
            if pod.node_name or not any(p is pod for p in cluster.pods):
                continue
            if (now_mono - pod.created_mono) * self.speed >= SCHEDULE_AFTER_S:
                ready = [n for n in cluster.workers if n.in_kubernetes and n.ready == "True"]
                if ready and cluster.after_migration.canary_schedulable:
                    pod.node_name = ready[0].name
                    pod.phase = "Running"
                    continue
            waiting.append((cluster, pod))
        self.unscheduled = waiting

    def _finish_stage(self, task: Task) -> None:
        stamp = task.stage_started[task.stage_index] + task.duration_s / len(task.stages) / self.speed
        task.stage_ended.append(stamp)
        task.stage_index += 1
        task.updated = stamp
        if task.stage_index >= len(task.stages):
            task.stage_index = len(task.stages) - 1
            task.state = "success"
            task.events.append(_event("TaskSucceeded", "Normal", "The task finished successfully", stamp))
            self._apply_success(task)
            return
        task.stage_started.append(stamp)
        name, message = task.stages[task.stage_index]
        task.events.append(
            _event("StageStarted", "Normal", f"Stage {task.stage_index + 1}/{len(task.stages)}: {message}", stamp)
        )

    def _fail(self, task: Task) -> None:
        stage, message = task.stages[task.stage_index]
        task.state = "fail"
        task.updated = time.time()
        task.stage_ended.append(task.updated)
        task.error = task.failure or {
            "code": f"{stage}Failed",
            "message": f"stage {stage} failed: {message.lower()} did not complete (simulated failure)",
        }
        task.events.append(_event("TaskFailed", "Warning", task.error["message"], task.updated))
        cluster = self.clusters.get(task.cluster_id)
        if cluster is not None and task.is_migration:
            # Before the control plane moved nothing changed; after, the cluster is left half-migrated.
            cluster.state = "running" if task.stage_index < 2 else "failed"
            cluster.updated = task.updated

    def _apply_success(self, task: Task) -> None:
        cluster = self.clusters.get(task.cluster_id)
        if cluster is None or not task.is_migration:
            return
        cluster.cluster_type = "ManagedKubernetes"
        cluster.cluster_spec = "ack.pro.small"
        cluster.state = "running"
        cluster.updated = task.updated
        for node in cluster.masters:
            node.ready = "Unknown"
        self._apply_after_migration(cluster)

    def _apply_after_migration(self, cluster: Cluster) -> None:
        """What the spec's `after_migration` says goes wrong (verification is there to notice)."""
        after = cluster.after_migration
        # The last workers: the first ones carry kube-system's Deployments, whose loss is its own outcome.
        for node in cluster.workers[max(0, len(cluster.workers) - after.not_ready_workers):]:
            node.ready = "False"
        if not after.coredns_available:
            for pod in cluster.pods:
                if pod.namespace == "kube-system" and pod.owner_name and pod.owner_name.startswith("coredns-"):
                    pod.phase = "Pending"
        if after.api_endpoint_changes:
            cluster.api_path = f"{cluster.cluster_id}-pro"


def _internet_slb(cluster: Cluster, *, name: str, block: int) -> LoadBalancer:
    """An internet-facing slb.s2.small with a public address in 47.<block>.<subnet>.x."""
    return LoadBalancer(
        load_balancer_id="lb-" + _alnum(22),
        name=name,
        spec="slb.s2.small",
        address_type="internet",
        address=f"47.{block}.{cluster.subnet}.{secrets.randbelow(250) + 1}",
        vpc_id=cluster.vpc_id,
        region_id=cluster.region_id,
    )


def _current_prerequisites(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec fields for what today's migration doc and ACK's ClusterMigrate check look at."""
    timezone = spec.get("timezone", "Asia/Shanghai")
    if not isinstance(timezone, str):
        raise SpecError('timezone must be a time zone name such as "Asia/Shanghai", or "" for not set')
    free_ips = spec.get("vswitch_free_ips", 200)
    if not isinstance(free_ips, int) or isinstance(free_ips, bool) or free_ips < 0:
        raise SpecError("vswitch_free_ips must be a non-negative count")
    ack_check = spec.get("ack_check") or {}
    fail_items = ack_check.get("fail_items", []) if isinstance(ack_check, dict) else None
    if not isinstance(fail_items, list) or not all(isinstance(i, str) for i in fail_items):
        raise SpecError('ack_check must be {"fail_items": [item names], "duration_s": N}')
    check_duration = ack_check.get("duration_s", 0.5) if isinstance(ack_check, dict) else 0.5
    if not isinstance(check_duration, int | float) or check_duration < 0:
        raise SpecError("ack_check.duration_s must be a non-negative number of seconds")
    unknown = sorted(set(fail_items) - set(ACK_CHECK_ITEMS))
    if unknown:
        raise SpecError(f"ack_check.fail_items: unknown item(s) {', '.join(unknown)}; known: {', '.join(ACK_CHECK_ITEMS)}")
    return {
        "timezone": timezone,
        "api_server_public": bool(spec.get("api_server_public", False)),
        "vswitch_free_ips": free_ips,
        "terway_pod_networking": bool(spec.get("terway_pod_networking", False)),
        "ack_check_fail_items": list(fail_items),
        "ack_check_duration_s": float(check_duration),
    }


def _event(action: str, level: str, message: str, ts: float | None = None) -> dict[str, Any]:
    return {
        "action": action,
        "level": level,
        "message": message,
        "reason": action,
        "source": "cluster-migration",
        "timestamp": iso(ts),
    }
