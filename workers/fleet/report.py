"""The readiness report of a fleet plan, as plain values: counts, blockers ranked, places, quotas, CSV.

Pure: it takes one row per cluster (what discovery and the prechecks found) and each account's quotas,
and computes what the channel message, the terminal and the CSV show. No cloud call, no Slack.

Readiness of a dedicated cluster: `ready` when no check blocks, `blocked` when one fails or could not run
(an unchecked cluster is not ready). Managed Pro clusters are counted as `pro`: already where the fleet
is going. A blocker is ranked by how many clusters it blocks, so the fix that unblocks most comes first.

Quotas (DescribeUserQuota): whether a migrated cluster counts against the account's managed-cluster quota
(`amk_cluster_quota`) is not documented. The report says so, and warns when the managed clusters there
now plus every dedicated cluster the plan would migrate exceed that quota.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from workers.checks.model import CheckResult, Outcome
from workers.ui import fleet_words

CSV_COLUMNS = ("account", "region", "cluster_id", "name", "version", "readiness", "blockers", "fixes", "warnings")


class Readiness(StrEnum):
    READY = "ready"
    BLOCKED = "blocked"
    PRO = "pro"


@dataclass(frozen=True)
class Blocker:
    """Why one cluster cannot be migrated now: the check, and its one-line fix."""

    check_id: str
    title: str
    fix: str


@dataclass(frozen=True)
class ClusterRow:
    account: str
    region: str
    cluster_id: str
    name: str
    version: str
    readiness: Readiness
    blockers: tuple[Blocker, ...] = ()
    warnings: int = 0

    @property
    def qualified(self) -> str:
        return f"{self.account}/{self.name}"


@dataclass(frozen=True)
class AccountQuota:
    """An account's cluster quotas and what is already managed there (in the regions looked at)."""

    account: str
    managed_clusters: int | None  # amk_cluster_quota
    clusters: int | None  # cluster_quota
    managed_now: int = 0
    error: str = ""  # DescribeUserQuota failed: the reason, shown instead of numbers


@dataclass(frozen=True)
class RankedBlocker:
    check_id: str
    title: str
    fix: str
    clusters: tuple[str, ...]  # account/name, in the plan's order


@dataclass(frozen=True)
class PlaceCounts:
    account: str
    region: str
    ready: int = 0
    blocked: int = 0
    pro: int = 0
    error: str = ""  # discovery failed here: nothing below is known


@dataclass(frozen=True)
class QuotaLine:
    account: str
    to_migrate: int
    managed_now: int
    managed_quota: int | None
    cluster_quota: int | None
    may_exceed: bool
    error: str = ""


@dataclass(frozen=True)
class PlanReport:
    rows: tuple[ClusterRow, ...]
    counts: dict[Readiness, int]
    blockers: tuple[RankedBlocker, ...]
    places: tuple[PlaceCounts, ...]
    quotas: tuple[QuotaLine, ...]
    scope: str = "every configured account and region"
    seconds: float = 0.0
    calls: dict[str, int] = field(default_factory=dict)

    @property
    def to_migrate(self) -> int:
        return self.counts[Readiness.READY] + self.counts[Readiness.BLOCKED]

    @property
    def quota_warnings(self) -> tuple[QuotaLine, ...]:
        return tuple(q for q in self.quotas if q.may_exceed)


def blockers_of(checks: Iterable[CheckResult]) -> tuple[Blocker, ...]:
    """The blocking results of one cluster's prechecks: failures with their fix, and checks that could not
    run (an error is never read as a pass), in the checks' order."""
    found = []
    for check in checks:
        if check.outcome is Outcome.FAIL:
            found.append(Blocker(check.id, check.title, check.fix or check.summary))
        elif check.outcome is Outcome.ERROR:
            found.append(Blocker(f"{check.id}:error", fleet_words.unchecked_title(check.title),
                                 fleet_words.unchecked_fix(check.summary)))
    return tuple(found)


def readiness_of(blockers: Sequence[Blocker]) -> Readiness:
    return Readiness.BLOCKED if blockers else Readiness.READY


def rank_blockers(rows: Sequence[ClusterRow]) -> tuple[RankedBlocker, ...]:
    """Each blocker with the clusters it blocks, most clusters first; ties keep the order first seen."""
    clusters: dict[str, list[str]] = {}
    first: dict[str, Blocker] = {}
    for row in rows:
        for blocker in row.blockers:
            first.setdefault(blocker.check_id, blocker)
            clusters.setdefault(blocker.check_id, []).append(row.qualified)
    order = list(first)
    ranked = sorted(order, key=lambda check_id: (-len(clusters[check_id]), order.index(check_id)))
    return tuple(RankedBlocker(first[c].check_id, first[c].title, first[c].fix, tuple(clusters[c])) for c in ranked)


def count(rows: Sequence[ClusterRow]) -> dict[Readiness, int]:
    tally = Counter(row.readiness for row in rows)
    return {readiness: tally.get(readiness, 0) for readiness in Readiness}


def place_counts(rows: Sequence[ClusterRow], places: Sequence[tuple[str, str]],
                 errors: dict[tuple[str, str], str]) -> tuple[PlaceCounts, ...]:
    result = []
    for account, region in places:
        here = count([r for r in rows if (r.account, r.region) == (account, region)])
        result.append(PlaceCounts(account, region, here[Readiness.READY], here[Readiness.BLOCKED],
                                  here[Readiness.PRO], errors.get((account, region), "")))
    return tuple(result)


def quota_line(quota: AccountQuota, rows: Sequence[ClusterRow]) -> QuotaLine:
    """Every dedicated cluster of the account counts as one the plan would migrate (a blocked one too: it
    is migrated once fixed). It could exceed the managed quota if migrated clusters count against it."""
    to_migrate = sum(1 for r in rows if r.account == quota.account and r.readiness is not Readiness.PRO)
    limit = quota.managed_clusters
    may_exceed = not quota.error and limit is not None and quota.managed_now + to_migrate > limit
    return QuotaLine(quota.account, to_migrate, quota.managed_now, limit, quota.clusters, may_exceed, quota.error)


def build_report(
    rows: Sequence[ClusterRow],
    *,
    places: Sequence[tuple[str, str]],
    quotas: Sequence[AccountQuota],
    discovery_errors: dict[tuple[str, str], str] | None = None,
    scope: str = "every configured account and region",
    seconds: float = 0.0,
) -> PlanReport:
    ordered = tuple(sorted(rows, key=lambda r: (r.account, r.region, r.name, r.cluster_id)))
    return PlanReport(
        rows=ordered,
        counts=count(ordered),
        blockers=rank_blockers(ordered),
        places=place_counts(ordered, places, discovery_errors or {}),
        quotas=tuple(quota_line(q, ordered) for q in quotas),
        scope=scope,
        seconds=seconds,
    )


def to_csv(report: PlanReport) -> bytes:
    """The full table, one row per cluster, for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        writer.writerow([
            row.account, row.region, row.cluster_id, row.name, row.version, row.readiness.value,
            "; ".join(b.check_id for b in row.blockers), " | ".join(b.fix for b in row.blockers), row.warnings,
        ])
    return out.getvalue().encode()
