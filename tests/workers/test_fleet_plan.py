"""The plan against the sandbox, without Slack: bounded calls per lane, throttling retried, and the
progress throttle."""

from __future__ import annotations

import json
from typing import Any

from workers.cloud import RetryPolicy
from workers.cloud.fleet import FleetClients
from workers.config import Settings
from workers.fleet.plan import Progress, run_plan
from workers.fleet.plan_job import Throttle
from workers.fleet.report import Readiness
from workers.fleet.scope import Scope

FAST = RetryPolicy(attempts=4, base_delay_s=0.01, max_delay_s=0.05)


def _fleet(sandbox: Any, **env: str) -> FleetClients:
    return FleetClients(Settings.from_env({**sandbox.env(), **env}), retry=FAST)


def _most_in_flight(calls: list[dict[str, Any]]) -> int:
    """The most calls the server was answering at once (each from its arrival to its answer)."""
    edges = sorted([(c["time"] - c["duration_ms"] / 1000, 1) for c in calls] + [(c["time"], -1) for c in calls])
    most = current = 0
    for _, step in edges:
        current += step
        most = max(most, current)
    return most


def test_calls_in_flight_never_exceed_the_cap_per_account_service_and_region(sandbox: Any) -> None:
    for n in range(6):
        sandbox.control.create_cluster(name=f"c-{n}", masters=1, workers=1)
    sandbox.control.fault("ack", latency_ms=60, count=-1)  # slow enough that calls would pile up uncapped
    progress: list[Progress] = []
    report = run_plan(_fleet(sandbox, ACKMIGRATE_CLOUD_CONCURRENCY="2"), Scope(), on_progress=progress.append)
    assert report.counts[Readiness.READY] + report.counts[Readiness.BLOCKED] == 6
    ack = [c for c in sandbox.control.calls(service="ack") if c["action"] != "DescribeUserQuota"]
    assert len(ack) >= 6 * 4  # every cluster's detail, nodes, resources, kubeconfig at least
    assert _most_in_flight(ack) <= 2
    assert progress[-1] == Progress(1, 1, 6, 6)


def test_no_lane_of_a_fleet_ever_has_more_calls_in_flight_than_the_cap(sandbox: Any) -> None:
    """Every lane (account, service, region) of two accounts × two regions, as the sandbox saw the calls:
    each call from its arrival to its answer, all cloud services slowed so that calls would pile up."""
    regions = ("cn-hangzhou", "cn-beijing")
    role = sandbox.control.create_account("2000000000000002", "b")
    for account in ("main", "b"):
        for region in regions:
            sandbox.control.create_bucket(f"{account}-{region}", region_id=region, account=account)
            for n in range(3):
                sandbox.control.create_cluster(name=f"{account}-{region}-{n}", region_id=region, account=account,
                                               masters=1, workers=1, oss_granted_buckets=[f"{account}-{region}"])
    for service in ("ack", "ecs", "slb", "ram", "oss", "sts"):
        sandbox.control.fault(service, latency_ms=40, count=-1)
    accounts = {"main": {"buckets": {r: f"main-{r}" for r in regions}},
                "b": {"role_arn": role, "buckets": {r: f"b-{r}" for r in regions}}}
    report = run_plan(_fleet(sandbox, ACKMIGRATE_CLOUD_CONCURRENCY="2", ACKMIGRATE_REGIONS=",".join(regions),
                             ACKMIGRATE_ACCOUNTS=json.dumps(accounts)), Scope())
    assert report.to_migrate == 12
    lanes: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for call in sandbox.control.calls():
        if call["service"] != "kubernetes":  # the clusters' own API servers are not cloud APIs
            lanes.setdefault((call["account"], call["service"], call["region"]), []).append(call)
    busiest = {lane: _most_in_flight(calls) for lane, calls in lanes.items()}
    assert {account for account, _, _ in busiest} == {"1688000000000001", "2000000000000002"}
    assert {"ack", "ecs", "slb", "ram", "oss"} <= {service for _, service, _ in busiest}
    assert max(busiest.values()) == 2, busiest  # the cap was reached (calls overlapped) and never passed


def test_a_throttled_listing_is_retried_and_the_plan_still_counts_every_cluster(sandbox: Any) -> None:
    for n in range(3):
        sandbox.control.create_cluster(name=f"t-{n}", masters=1, workers=1)
    sandbox.control.fault("ack", "DescribeClustersForRegion", http_status=400, code="Throttling.User", count=2)
    report = run_plan(_fleet(sandbox), Scope())
    assert report.to_migrate == 3 and not report.places[0].error
    statuses = [c["status"] for c in sandbox.control.calls(service="ack", action="DescribeClustersForRegion")]
    assert statuses == [400, 400, 200]


def test_a_region_that_cannot_be_listed_is_reported_not_hidden(sandbox: Any) -> None:
    sandbox.control.create_cluster(name="hz-1", masters=1, workers=1)
    sandbox.control.create_account("2000000000000002", "b")
    accounts = {"main": {}, "b": {"role_arn": "acs:ram::3000000000000003:role/ackmigrate"}}  # b's role is wrong
    report = run_plan(_fleet(sandbox, ACKMIGRATE_ACCOUNTS=json.dumps(accounts)), Scope())
    main, b = report.places
    assert main.error == "" and main.ready + main.blocked == 1
    assert "NoPermission" in b.error


def test_progress_is_shown_at_most_once_per_interval() -> None:
    now = [100.0]
    throttle = Throttle(3.0, clock=lambda: now[0])
    shown = []
    for _ in range(10):
        shown.append(throttle.due())
        now[0] += 1.0
    assert shown == [True, False, False, True, False, False, True, False, False, True]


def test_a_place_s_bucket_is_read_once_per_plan_and_every_cluster_is_judged_on_it(sandbox: Any) -> None:
    """The bucket is the same for every cluster of a place: its info and referer are asked once per plan
    (again by the next plan), and a bucket that is missing blocks every cluster, not only the first."""
    for n in range(4):
        sandbox.control.create_cluster(name=f"o-{n}", masters=1, workers=1)
    accounts = {"main": {"buckets": {"cn-hangzhou": "absent-bucket"}}}
    fleet = _fleet(sandbox, ACKMIGRATE_ACCOUNTS=json.dumps(accounts))
    for _ in range(2):
        sandbox.control.clear_calls()
        report = run_plan(fleet, Scope())
        assert report.to_migrate == 4
        assert all("oss-bucket" in {b.check_id for b in row.blockers} for row in report.rows), report.rows
        asked = [c["action"] for c in sandbox.control.calls(service="oss")]
        assert sorted(asked) == ["GetBucketInfo", "GetBucketReferer"]
