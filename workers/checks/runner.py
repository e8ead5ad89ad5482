"""Run every precheck against one cluster: fetch concurrently, share what is fetched, evaluate purely.

Each fetch is a future started once; each check waits only on the futures it reads. Given a cluster id,
the facts keyed by it (nodes, resources, kubeconfig) are fetched alongside the cluster detail; given a
name, right after it. A failed fetch fails exactly the checks that needed it, as `error` results naming
the reason.

Checks that cannot apply are not run at all: on a cluster that cluster-type knows is not dedicated, the
master checks are `skip` with the reason, and nothing is asked of ECS or RAM for them (applicability.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from workers.checks.ack_check import run_ack_check
from workers.checks.applicability import (
    MASTER_CHECKS,
    masters_absent_because,
    skipped_master_check,
    trace_to_state,
)
from workers.checks.bucket_checks import (
    bucket_name_problem,
    check_invalid_bucket,
    check_missing_bucket,
    check_no_bucket,
    check_oss_bucket,
    migrate_bucket_endpoint,
)
from workers.checks.catalog import CHECK_ORDER, error_result
from workers.checks.cluster_checks import (
    check_cluster_state,
    check_cluster_type,
    check_k8s_version,
    cluster_kind,
)
from workers.checks.current_checks import (
    TERWAY_CONTROLPLANE,
    check_public_api_server,
    check_terway_pod_networking,
    check_timezone,
    find_terway_controlplane,
    internet_endpoint_refs,
)
from workers.checks.infra_checks import api_server_lb_candidates, check_cloud_assistant, check_slb_spec
from workers.checks.model import CheckResult, MasterInstance, PrecheckReport
from workers.checks.notices import no_rollback_notice, whitelist_notice
from workers.checks.place_facts import PlaceFacts
from workers.checks.policy import check_ram_policy, check_ram_policy_without_bucket
from workers.checks.ram_evaluation import BucketObjects
from workers.checks.workload_checks import (
    AddonFinding,
    CgpuFinding,
    check_addons,
    check_cgpu,
    check_master_pods,
    find_addons,
    find_cgpu,
)
from workers.cloud import CloudClients, KubeClient
from workers.cloud.ack import is_cluster_id
from workers.cloud.models import (
    BucketInfo,
    BucketReferer,
    CloudAssistantStatus,
    ClusterCheckRun,
    ClusterDetail,
    ClusterNode,
    ClusterResource,
    LoadBalancer,
    PolicyVersion,
    Workload,
)
from workers.config import Settings
from workers.errors import CloudError, NotFound
from workers.master_policy import find_master_policy

log = logging.getLogger(__name__)
T = TypeVar("T")
PRECHECK_THREADS = 32  # every fetch and every check of one run may wait at once; fewer could deadlock on waits


def precheck_pool(runs: int) -> ThreadPoolExecutor:
    """A pool for up to `runs` precheck runs at once (a plan's): PRECHECK_THREADS threads for each, so no
    run ever waits for a thread another run holds, as with a pool of its own. What it saves is the
    threads' starts: one pool per run started and joined every cluster's threads, about 19 per cluster at
    C=8 and 31 at C=2 (9,500 and 15,500 in a 500-cluster plan, each start scanning every live thread's
    lock), where a shared pool keeps the threads from one cluster to the next."""
    return ThreadPoolExecutor(max_workers=max(1, runs) * PRECHECK_THREADS, thread_name_prefix="precheck")


def run_prechecks(
    clients: CloudClients,
    settings: Settings,
    *,
    cluster: str,
    bucket: str | None,
    on_result: Callable[[CheckResult], None] | None = None,
    detail: ClusterDetail | None = None,
    place_facts: PlaceFacts | None = None,
    pool: ThreadPoolExecutor | None = None,
) -> PrecheckReport:
    """All checks for `cluster` (id or name). Resolving the cluster is the one failure that raises
    (NotFound/Conflict list what exists): without a cluster there is nothing to report on. A caller that
    has just resolved the cluster passes its `detail`, so the run does not ask ACK for it again. A plan
    passes its place's `place_facts`, so the bucket's facts are asked once for all the place's clusters,
    and a `precheck_pool` its runs share; without one, the run has a pool of its own."""
    if pool is not None:
        return _run_prechecks(pool, clients, settings, cluster=cluster, bucket=bucket, on_result=on_result,
                              detail=detail, place_facts=place_facts)
    with ThreadPoolExecutor(max_workers=PRECHECK_THREADS, thread_name_prefix="precheck") as own:
        return _run_prechecks(own, clients, settings, cluster=cluster, bucket=bucket, on_result=on_result,
                              detail=detail, place_facts=place_facts)


def _run_prechecks(
    pool: ThreadPoolExecutor,
    clients: CloudClients,
    settings: Settings,
    *,
    cluster: str,
    bucket: str | None,
    on_result: Callable[[CheckResult], None] | None,
    detail: ClusterDetail | None,
    place_facts: PlaceFacts | None,
) -> PrecheckReport:
    # Given an id, the facts keyed by it are asked for while the detail is still on its way; they are
    # dropped if the "id" turns out to be a name that only looks like one.
    early = None
    if detail is None:
        early = _ById.start(pool, clients, cluster) if is_cluster_id(cluster) else None
        detail = clients.ack.resolve_cluster(cluster)
    if early is None or early.cluster_id != detail.cluster_id:
        early = _ById.start(pool, clients, detail.cluster_id)
    run = _Run(pool=pool, clients=clients, settings=settings, detail=detail, by_id=early, bucket=bucket,
               place_facts=place_facts or PlaceFacts())
    results = run.checks()
    by_check: dict[str, CheckResult] = {}
    for future in as_completed(results):
        check = future.result()
        by_check[check.id] = check
        if on_result is not None:
            on_result(check)
    return run.report(tuple(by_check[check_id] for check_id in CHECK_ORDER))


@dataclass(frozen=True)
class _ById:
    """The fetches that need only the cluster id, not its detail. They are reads: what acts (RunClusterCheck)
    waits for the detail to say the check applies.

    `checks` (ListClusterChecks: is a ClusterMigrate check already running?) heads the run's longest chain —
    list, RunClusterCheck, GetClusterCheck until ACK's check ends — so it goes out with the detail instead of
    after it: 200 ms off every precheck against a cloud 200 ms away."""

    cluster_id: str
    nodes: Future[list[ClusterNode]]
    resources: Future[list[ClusterResource]]
    kube: Future[KubeClient]
    checks: Future[list[ClusterCheckRun]]

    @classmethod
    def start(cls, pool: ThreadPoolExecutor, clients: CloudClients, cluster_id: str) -> _ById:
        return cls(
            cluster_id=cluster_id,
            nodes=pool.submit(clients.ack.list_nodes, cluster_id),
            resources=pool.submit(clients.ack.list_resources, cluster_id),
            kube=pool.submit(clients.kube_for, cluster_id),
            checks=pool.submit(clients.ack.list_cluster_checks, cluster_id),
        )


class _Run:
    """The futures of one precheck run; methods named for the fact they fetch or the check they run."""

    def __init__(
        self,
        *,
        pool: ThreadPoolExecutor,
        clients: CloudClients,
        settings: Settings,
        detail: ClusterDetail,
        by_id: _ById,
        bucket: str | None,
        place_facts: PlaceFacts,
    ) -> None:
        self.pool = pool
        self.clients = clients
        self.settings = settings
        self.detail = detail
        self.bucket = bucket
        # Decided from the detail alone, before any master fact is asked for, so a skipped check costs
        # no call (and needs no permission).
        kind = cluster_kind(
            cluster_type=detail.cluster_type, cluster_spec=detail.cluster_spec, profile=detail.profile
        )
        self.masters_absent = masters_absent_because(kind)
        checks_masters = self.masters_absent is None
        self.nodes = by_id.nodes
        self.resources = by_id.resources
        self.kube = by_id.kube
        self.check_runs = by_id.checks
        self.pods = pool.submit(lambda: self.kube.result().list_pods())
        # Two lists, fetched side by side: each is a round trip to an API server that may be far away.
        self.daemonsets = pool.submit(lambda: self.kube.result().list_daemonsets())
        self.deployments = pool.submit(lambda: self.kube.result().list_deployments())
        self.workloads: Future[list[Workload]] = pool.submit(
            lambda: self.daemonsets.result() + self.deployments.result()
        )
        self.assistant: Future[list[CloudAssistantStatus]] | None = (
            pool.submit(lambda: clients.ecs.cloud_assistant_status([m.instance_id for m in self._masters()]))
            if checks_masters
            else None
        )
        self.api_lb = pool.submit(self._api_server_lb)
        self.bucket_ok = bucket is not None and bucket_name_problem(bucket) is None
        # The policy is judged against the bucket, so without one there is nothing to ask RAM.
        self.policy: Future[tuple[str, str, PolicyVersion]] | None = (
            pool.submit(self._master_policy) if self.bucket_ok and checks_masters else None
        )
        if bucket is not None and self.bucket_ok:
            self.bucket_info: Future[BucketInfo] | None = pool.submit(
                place_facts.get, ("GetBucketInfo", bucket), lambda: clients.oss.bucket_info(bucket)
            )
            self.bucket_referer: Future[BucketReferer] | None = pool.submit(
                place_facts.get, ("GetBucketReferer", bucket), lambda: clients.oss.bucket_referer(bucket)
            )
        else:
            self.bucket_info = self.bucket_referer = None
        self.cgpu: Future[CgpuFinding] = pool.submit(lambda: find_cgpu(self.workloads.result()))
        self.addons: Future[list[AddonFinding]] = pool.submit(lambda: find_addons(self.workloads.result()))
        self.terway: Future[Workload | None] = pool.submit(
            lambda: find_terway_controlplane(self.workloads.result())
        )

    # --- fetches that build on other fetches ---------------------------------------------------------

    def _masters(self) -> list[ClusterNode]:
        return [node for node in self.nodes.result() if node.is_master]

    def _api_server_lb(self) -> tuple[LoadBalancer | None, list[str]]:
        """The intranet SLB among the candidates. The detail's endpoints are tried first, without waiting
        for the resource list that only older clusters (no control_plane_endpoints_config) need."""
        tried: list[str] = []
        found = self._first_intranet(
            api_server_lb_candidates(refs=self.detail.api_server_load_balancers, resources=[]), tried
        )
        if found is None:
            from_resources = api_server_lb_candidates(refs=(), resources=self.resources.result())
            found = self._first_intranet(from_resources, tried)
        return found, tried

    def _first_intranet(self, candidates: list[str], tried: list[str]) -> LoadBalancer | None:
        for lb_id in candidates:
            if lb_id in tried:
                continue
            tried.append(lb_id)
            lb = self.clients.slb.describe_load_balancer(lb_id)
            if lb.address_type.lower() == "intranet":
                return lb
        return None

    def _master_policy(self) -> tuple[str, str, PolicyVersion]:
        found = find_master_policy(self.clients.ram, detail=self.detail, resources=self.resources.result())
        version = self.clients.ram.get_policy(found.name, policy_type=found.policy_type)
        return found.role, found.name, version

    # --- the checks ----------------------------------------------------------------------------------

    def checks(self) -> list[Future[CheckResult]]:
        d = self.detail
        evaluations: dict[str, Callable[[], CheckResult]] = {
            "cluster-type": lambda: check_cluster_type(
                cluster_type=d.cluster_type, cluster_spec=d.cluster_spec, profile=d.profile
            ),
            "cluster-state": lambda: check_cluster_state(state=d.state),
            "timezone": lambda: check_timezone(timezone=d.timezone),
            "public-api-server": self._check_public_api_server,
            "k8s-version": lambda: check_k8s_version(
                current_version=d.current_version,
                minimum=self.settings.min_k8s_version,
                advised=self.settings.advised_k8s_version,
            ),
            "cloud-assistant": self._check_cloud_assistant,
            "slb-spec": self._check_slb,
            "master-pods": lambda: check_master_pods(
                master_names=[m.node_name for m in self._masters()], pods=self.pods.result()
            ),
            "oss-bucket": self._check_bucket,
            "ram-policy": self._check_ram,
            "ack-migration-check": self._check_ack_migration,
            "whitelist": whitelist_notice,
            "cgpu": lambda: check_cgpu(self.cgpu.result()),
            "addons": lambda: check_addons(self.addons.result()),
            "terway-pod-networking": lambda: check_terway_pod_networking(self.terway.result()),
            "no-rollback": lambda: no_rollback_notice(master_count=_count_masters(_value(self.nodes))),
        }
        if self.masters_absent is not None:
            for check_id in MASTER_CHECKS:
                evaluations[check_id] = _skip(check_id, reason=self.masters_absent)
        return [self.pool.submit(self._evaluate, check_id, run) for check_id, run in evaluations.items()]

    def _evaluate(self, check_id: str, evaluate: Callable[[], CheckResult]) -> CheckResult:
        return trace_to_state(_guarded(check_id, evaluate), state=self.detail.state)

    def _check_cloud_assistant(self) -> CheckResult:
        assert self.assistant is not None  # only evaluated on a cluster whose masters are checked
        return check_cloud_assistant(masters=self._masters(), statuses=self.assistant.result())

    def _check_slb(self) -> CheckResult:
        lb, candidates = self.api_lb.result()
        return check_slb_spec(load_balancer=lb, candidates=candidates, minimum=self.settings.min_slb_spec)

    def _check_public_api_server(self) -> CheckResult:
        internet = [
            lb
            for lb in (
                self.clients.slb.describe_load_balancer(ref.load_balancer_id)
                for ref in internet_endpoint_refs(self.detail.api_server_load_balancers)
            )
            if lb.address_type.lower() == "internet"
        ]
        internal, _ = self.api_lb.result() if internet else (None, [])
        return check_public_api_server(internet=internet, internal=internal)

    def _check_ack_migration(self) -> CheckResult:
        """ACK's own ClusterMigrate check, followed to its end within ACKMIGRATE_ACK_CHECK_TIMEOUT."""
        ack, cluster_id = self.clients.ack, self.detail.cluster_id

        def latest_running() -> str | None:
            running = [c for c in self.check_runs.result() if c.status.lower() == "running"]
            return max(running, key=lambda c: c.created_at).check_id if running else None

        return run_ack_check(
            start=lambda: ack.run_cluster_check(cluster_id),
            latest_running=latest_running,
            get=lambda check_id: ack.get_cluster_check(cluster_id, check_id),
            timeout_s=self.settings.ack_check_timeout_s,
        )

    def _check_bucket(self) -> CheckResult:
        if self.bucket is None:
            return check_no_bucket()
        problem = bucket_name_problem(self.bucket)
        if problem is not None or self.bucket_info is None or self.bucket_referer is None:
            return check_invalid_bucket(problem)
        try:
            info = self.bucket_info.result()
        except NotFound:
            return check_missing_bucket(bucket=self.bucket, region=self.detail.region_id)
        return check_oss_bucket(
            bucket=self.bucket, region=self.detail.region_id, info=info, referer=self.bucket_referer.result()
        )

    def _check_ram(self) -> CheckResult:
        if self.bucket is None or self.policy is None:
            return check_ram_policy_without_bucket()
        role, policy_name, version = self.policy.result()
        info = _value(self.bucket_info)  # its owner is the account in the bucket's resource names
        objects = BucketObjects(bucket=self.bucket, region=self.detail.region_id, account=info.owner_id if info else "")
        return check_ram_policy(
            role_name=role,
            policy_name=policy_name,
            document_json=version.document,
            objects=objects,
            will_grant=self.settings.grant_ram_policy,
        )

    # --- the report ----------------------------------------------------------------------------------

    def report(self, checks: tuple[CheckResult, ...]) -> PrecheckReport:
        d = self.detail
        nodes = _value(self.nodes)
        masters = [n for n in nodes or [] if n.is_master]
        info = _value(self.bucket_info)
        cgpu = _value(self.cgpu)
        addons = [f.addon for f in _value(self.addons) or []]
        if _value(self.terway) is not None:
            addons.append(TERWAY_CONTROLPLANE)
        endpoint = None
        if self.bucket is not None:
            endpoint = migrate_bucket_endpoint(
                bucket=self.bucket, region=d.region_id, extranet_endpoint=info.extranet_endpoint if info else ""
            )
        return PrecheckReport(
            cluster_id=d.cluster_id,
            cluster_name=d.name,
            region_id=d.region_id,
            current_version=d.current_version,
            cluster_type=d.cluster_type,
            cluster_spec=d.cluster_spec,
            state=d.state,
            master_count=len(masters) if nodes is not None else None,
            worker_count=len(nodes) - len(masters) if nodes is not None else None,
            bucket=self.bucket,
            bucket_endpoint=endpoint,
            masters=tuple(MasterInstance(m.instance_id, m.node_name, m.charge_type) for m in masters),
            cgpu=cgpu.edition if cgpu else "",
            addons=tuple(addons),
            checks=checks,
            checked_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )


def _skip(check_id: str, *, reason: str) -> Callable[[], CheckResult]:
    return lambda: skipped_master_check(check_id, reason=reason)


def _count_masters(nodes: list[ClusterNode] | None) -> int | None:
    return None if nodes is None else sum(1 for node in nodes if node.is_master)


def _value(future: Future[T] | None) -> T | None:
    """A fetched fact for the report, or None when its fetch failed (its checks already say why)."""
    if future is None:
        return None
    try:
        return future.result()
    except CloudError:
        return None


def _guarded(check_id: str, evaluate: Callable[[], CheckResult]) -> CheckResult:
    """Run one check; a fetch it needed failing makes it `error` with the reason, never `pass`."""
    try:
        return evaluate()
    except CloudError as error:
        return error_result(check_id, str(error))
    except Exception as error:  # noqa: BLE001 - a bug in one check must not hide the others
        log.exception("precheck %s crashed", check_id)
        return error_result(check_id, f"internal error {type(error).__name__}: {error}")
