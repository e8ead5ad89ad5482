"""Plan a fleet: discover every dedicated cluster in each (account, region) and run the prechecks on each.

Discovery is `DescribeClustersForRegion` per account and region (AckClient.list_clusters); each account's
quotas are one `DescribeUserQuota`. The prechecks are the same `run_prechecks` a single migration runs,
with the account's bucket for the region (ACKMIGRATE_ACCOUNTS `buckets`) when one is named.

Bounded: every client of the plan shares one CallLimits (FleetClients), so at most
ACKMIGRATE_CLOUD_CONCURRENCY calls are in flight per account, service and region, and a throttled call
backs off (workers.cloud.retry) without holding its slot. Clusters are checked CLUSTERS_PER_SLOT times
as many at once as the cap per place, enough to keep every slot busy while some checks wait on others.

Slack-free: progress is reported through a callback; the caller decides how often to show it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from workers.accounts import Account
from workers.checks.model import Outcome
from workers.checks.place_facts import PlaceFacts
from workers.checks.runner import precheck_pool, run_prechecks
from workers.cloud.fleet import FleetClients
from workers.cloud.models import ClusterSummary
from workers.errors import CloudError
from workers.fleet.report import (
    AccountQuota,
    Blocker,
    ClusterRow,
    PlanReport,
    Readiness,
    blockers_of,
    build_report,
    readiness_of,
)
from workers.fleet.scope import Scope, places
from workers.ui import fleet_words

log = logging.getLogger(__name__)

DEDICATED = "Kubernetes"
MANAGED = "ManagedKubernetes"
CLUSTERS_PER_SLOT = 4


class DiscoveryFailed(Exception):
    """Some (account, region) could not be listed; str() names each and its error."""


@dataclass(frozen=True)
class Progress:
    """Where a plan is: discovering, or checking `checked` of `total` dedicated clusters."""

    places_done: int
    places_total: int
    checked: int = 0
    total: int | None = None  # None until discovery is done everywhere


ProgressCallback = Callable[[Progress], None]


def is_pro(summary: ClusterSummary) -> bool:
    return summary.cluster_type == MANAGED and summary.cluster_spec.startswith("ack.pro")


def run_plan(fleet: FleetClients, scope: Scope, *, on_progress: ProgressCallback | None = None) -> PlanReport:
    """The readiness report of every dedicated cluster in scope (ScopeError if the scope names nothing)."""
    started = time.monotonic()
    covered = places(fleet.accounts, scope)
    tell = on_progress or (lambda _progress: None)
    found, errors = _discover(fleet, covered, tell)
    dedicated = [(a, r, s) for (a, r), summaries in found.items() for s in summaries if s.cluster_type == DEDICATED]
    rows = [ClusterRow(a.alias, r, s.cluster_id, s.name, s.current_version, Readiness.PRO)
            for (a, r), summaries in found.items() for s in summaries if is_pro(s)]
    accounts = list(dict.fromkeys(a for a, _ in covered))
    # The quotas need only discovery's answer: asked alongside the checks, not after the last one.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="plan-quotas") as side:
        asked = side.submit(_quotas, fleet, accounts, found)
        rows += _check_all(fleet, dedicated, lambda checked: tell(Progress(len(covered), len(covered), checked,
                                                                           len(dedicated))))
        quotas = asked.result()
    return build_report(rows, places=[(a.alias, r) for a, r in covered], quotas=quotas,
                        discovery_errors={(a.alias, r): e for (a, r), e in errors.items()},
                        scope=scope.describe(), seconds=time.monotonic() - started)


def _discover(fleet: FleetClients, covered: list[tuple[Account, str]], tell: ProgressCallback,
              ) -> tuple[dict[tuple[Account, str], list[ClusterSummary]], dict[tuple[Account, str], str]]:
    found: dict[tuple[Account, str], list[ClusterSummary]] = {}
    errors: dict[tuple[Account, str], str] = {}
    lock = threading.Lock()

    def discover(place: tuple[Account, str]) -> None:
        account, region = place
        try:
            summaries = fleet.clients(account, region).ack.list_clusters()
        except CloudError as error:
            log.warning("plan: discovery in %s/%s failed: %s", account.alias, region, error)
            with lock:
                errors[place] = str(error)
            summaries = []
        with lock:
            found[place] = summaries
            done = len(found)
        tell(Progress(done, len(covered)))

    with ThreadPoolExecutor(max_workers=min(16, len(covered)), thread_name_prefix="plan-discover") as pool:
        list(pool.map(discover, covered))
    return found, errors


def _check_all(fleet: FleetClients, dedicated: list[tuple[Account, str, ClusterSummary]],
               tell: Callable[[int], None]) -> list[ClusterRow]:
    return precheck_each(fleet, dedicated, lambda item, facts, pool: _check_one(fleet, *item, facts, pool), tell)


T = TypeVar("T")


def precheck_each(fleet: FleetClients, items: list[tuple[Account, str, ClusterSummary]],
                  check: Callable[[tuple[Account, str, ClusterSummary], PlaceFacts, ThreadPoolExecutor], T],
                  tell: Callable[[int], None]) -> list[T]:
    """`check` on every cluster (`run_bounded`), handed what the prechecks of many clusters share: one memo
    per place (its clusters share one bucket, so they share that bucket's facts) and one thread pool."""
    facts = {(a.alias, r): PlaceFacts() for a, r, _ in items}
    with precheck_pool(runs_at_once(fleet, items)) as pool:
        return run_bounded(fleet, items, lambda item: check(item, facts[(item[0].alias, item[1])], pool), tell)


def run_bounded(fleet: FleetClients, items: list[tuple[Account, str, ClusterSummary]],
                check: Callable[[tuple[Account, str, ClusterSummary]], T], tell: Callable[[int], None]) -> list[T]:
    """`check` on every cluster (the plan's prechecks, a wave's): one pool per (account, region), each running
    a bounded number of clusters at once, so every place's lanes are kept busy at the same time (one shared
    pool would be taken up by the first places' clusters while the others' lanes sat idle). Results come
    back in the order the checks finished."""
    rows: list[T] = []
    lock = threading.Lock()
    per_place = fleet.settings.cloud_concurrency * CLUSTERS_PER_SLOT
    by_place = _by_place(items)
    tell(0)

    def one(item: tuple[Account, str, ClusterSummary]) -> None:
        row = check(item)
        with lock:
            rows.append(row)
            checked = len(rows)
        tell(checked)

    pools = [ThreadPoolExecutor(max_workers=min(per_place, len(group)), thread_name_prefix=f"plan-{a}-{r}")
             for (a, r), group in by_place.items()]
    try:
        futures = [pool.submit(one, item) for pool, group in zip(pools, by_place.values(), strict=True)
                   for item in group]
        for future in futures:
            future.result()
    finally:
        for pool in pools:
            pool.shutdown(wait=True)
    return rows


def runs_at_once(fleet: FleetClients, items: list[tuple[Account, str, ClusterSummary]]) -> int:
    """How many clusters run_bounded checks at once at most: its pools' sizes, summed over the places."""
    per_place = fleet.settings.cloud_concurrency * CLUSTERS_PER_SLOT
    return sum(min(per_place, len(group)) for group in _by_place(items).values())


def _by_place(items: list[tuple[Account, str, ClusterSummary]],
              ) -> dict[tuple[str, str], list[tuple[Account, str, ClusterSummary]]]:
    by_place: dict[tuple[str, str], list[tuple[Account, str, ClusterSummary]]] = {}
    for item in items:
        by_place.setdefault((item[0].alias, item[1]), []).append(item)
    return by_place


def discover(fleet: FleetClients, scope: Scope) -> dict[tuple[Account, str], list[ClusterSummary]]:
    """Every cluster in scope, by (account, region); DiscoveryFailed when a place could not be listed (a wave
    must not be composed from half a fleet)."""
    found, errors = _discover(fleet, places(fleet.accounts, scope), lambda _progress: None)
    if errors:
        raise DiscoveryFailed("; ".join(f"{a.alias}/{r}: {e}" for (a, r), e in errors.items()))
    return found


def _check_one(fleet: FleetClients, account: Account, region: str, summary: ClusterSummary,
               place_facts: PlaceFacts, pool: ThreadPoolExecutor) -> ClusterRow:
    try:
        report = run_prechecks(fleet.clients(account, region), fleet.settings, cluster=summary.cluster_id,
                               bucket=account.bucket_for(region), place_facts=place_facts, pool=pool)
    except CloudError as error:
        blocker = Blocker("cluster-detail:error", fleet_words.CLUSTER_UNREAD, fleet_words.cluster_unread_fix(error))
        return ClusterRow(account.alias, region, summary.cluster_id, summary.name, summary.current_version,
                          Readiness.BLOCKED, (blocker,))
    blockers = blockers_of(report.checks)
    warnings = sum(1 for c in report.checks if c.outcome is Outcome.WARN)
    return ClusterRow(account.alias, region, summary.cluster_id, summary.name, summary.current_version,
                      readiness_of(blockers), blockers, warnings)


def _quotas(fleet: FleetClients, accounts: list[Account],
            found: dict[tuple[Account, str], list[ClusterSummary]]) -> list[AccountQuota]:
    quotas = []
    for account in accounts:
        managed_now = sum(1 for (a, _), summaries in found.items() if a == account
                          for s in summaries if s.cluster_type == MANAGED)
        try:
            quota = fleet.clients(account, account.regions[0]).ack.user_quota()
        except CloudError as error:
            quotas.append(AccountQuota(account.alias, None, None, managed_now, error=str(error)))
            continue
        quotas.append(AccountQuota(account.alias, quota.managed_clusters, quota.clusters, managed_now))
    return quotas
