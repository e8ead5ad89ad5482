"""The plan's readiness report, without servers: counts, blockers ranked, places, quota warnings, CSV."""

from __future__ import annotations

import csv
import io

from workers.checks.model import CheckResult, Outcome, Severity
from workers.fleet.report import (
    AccountQuota,
    Blocker,
    ClusterRow,
    Readiness,
    blockers_of,
    build_report,
    quota_line,
    to_csv,
)
from workers.ui.fleet_words import QUOTA_NOTE

OLD = Blocker("k8s-version", "Kubernetes version", "Upgrade to 1.18 or later first.")
ASSIST = Blocker("cloud-assistant", "Cloud Assistant on masters", "Install Cloud Assistant on every master.")


def _row(account: str, name: str, *blockers: Blocker, region: str = "cn-hangzhou",
         readiness: Readiness | None = None) -> ClusterRow:
    ready = readiness or (Readiness.BLOCKED if blockers else Readiness.READY)
    return ClusterRow(account, region, "c" + name.replace("-", "") * 4, name, "1.22", ready, tuple(blockers))


ROWS = [
    _row("a", "web-1"),
    _row("a", "web-2", OLD),
    _row("a", "db-1", OLD, ASSIST),
    _row("b", "api-1", ASSIST, region="cn-beijing"),
    _row("b", "api-2", OLD, region="cn-beijing"),
    _row("b", "pro-1", readiness=Readiness.PRO, region="cn-beijing"),
]


def test_counts_are_ready_blocked_and_already_pro() -> None:
    report = build_report(ROWS, places=[("a", "cn-hangzhou"), ("b", "cn-beijing")], quotas=[])
    assert report.counts == {Readiness.READY: 1, Readiness.BLOCKED: 4, Readiness.PRO: 1}
    assert report.to_migrate == 5


def test_blockers_are_ranked_by_how_many_clusters_each_blocks_with_their_names() -> None:
    report = build_report(ROWS, places=[], quotas=[])
    assert [(b.check_id, len(b.clusters)) for b in report.blockers] == [("k8s-version", 3), ("cloud-assistant", 2)]
    assert report.blockers[0].clusters == ("a/db-1", "a/web-2", "b/api-2")
    assert report.blockers[0].fix == "Upgrade to 1.18 or later first."


def test_counts_per_account_and_region_keep_a_place_whose_discovery_failed() -> None:
    places = [("a", "cn-hangzhou"), ("b", "cn-beijing"), ("b", "cn-shanghai")]
    report = build_report(ROWS, places=places, quotas=[],
                          discovery_errors={("b", "cn-shanghai"): "ack DescribeClustersForRegion: Forbidden"})
    a, b, b_sh = report.places
    assert (a.ready, a.blocked, a.pro) == (1, 2, 0)
    assert (b.ready, b.blocked, b.pro) == (0, 2, 1)
    assert b_sh.error.startswith("ack DescribeClustersForRegion")


def test_a_quota_the_migration_could_exceed_is_warned_about() -> None:
    line = quota_line(AccountQuota("a", managed_clusters=20, clusters=50, managed_now=18), ROWS)
    assert (line.to_migrate, line.managed_now, line.managed_quota, line.may_exceed) == (3, 18, 20, True)


def test_a_quota_with_room_for_every_migration_is_not_warned_about() -> None:
    line = quota_line(AccountQuota("b", managed_clusters=20, clusters=50, managed_now=1), ROWS)
    assert (line.to_migrate, line.may_exceed) == (2, False)
    exactly = quota_line(AccountQuota("a", managed_clusters=3, clusters=50, managed_now=0), ROWS)
    assert exactly.may_exceed is False  # 0 + 3 fits in 3


def test_an_unknown_quota_warns_of_nothing_and_says_why() -> None:
    line = quota_line(AccountQuota("a", None, None, error="ack DescribeUserQuota: Forbidden"), ROWS)
    assert line.may_exceed is False and line.error
    assert "not documented" in QUOTA_NOTE


def test_a_check_that_could_not_run_blocks_like_a_failure() -> None:
    checks = [
        CheckResult("k8s-version", "Kubernetes version", Outcome.FAIL, Severity.FAIL, "1.16 is too old", "Upgrade."),
        CheckResult("slb-spec", "API server SLB", Outcome.ERROR, Severity.FAIL, "slb: Throttling", ""),
        CheckResult("timezone", "Time zone", Outcome.WARN, Severity.WARN, "not set", "Set it."),
        CheckResult("cluster-type", "Cluster type", Outcome.PASS, Severity.FAIL, "dedicated", ""),
    ]
    assert [b.check_id for b in blockers_of(checks)] == ["k8s-version", "slb-spec:error"]


def test_the_csv_has_one_row_per_cluster_with_its_blockers_and_fixes() -> None:
    report = build_report(ROWS, places=[], quotas=[])
    rows = list(csv.DictReader(io.StringIO(to_csv(report).decode())))
    assert len(rows) == len(ROWS)
    db = next(r for r in rows if r["name"] == "db-1")
    assert (db["account"], db["readiness"], db["blockers"]) == ("a", "blocked", "k8s-version; cloud-assistant")
    assert "Install Cloud Assistant" in db["fixes"]
