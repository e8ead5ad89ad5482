"""Plan: 500 dedicated clusters across 5 regions × 2 accounts, every cloud call 200 ms late.

The floor is what the cap allows at best: each lane (account, service, region) runs at most C calls at a
time (ACKMIGRATE_CLOUD_CONCURRENCY), so a lane with N calls needs at least N × 0.2 s ÷ C, and the plan
at least as long as its busiest lane. Printed with it: the same floor for the whole plan (total calls ×
0.2 s ÷ the effective concurrency, C × the lanes that carried calls), which assumes calls spread evenly
over lanes and so is the lower, optimistic figure. Target: wall time ≤ 1.25 × the busiest lane's floor.

The sandbox runs as `ackmigrate sandbox` in its own process (the 500 clusters are created through its
control API, 32 at a time: the burst its listen backlog must hold); the plan runs here, as a worker would
run it, with the second account reached through STS AssumeRole. The latency is on every cloud service
(ACK, ECS, SLB, RAM, OSS, STS); the clusters' own Kubernetes API servers are not cloud APIs and answer
at once. ACKMIGRATE_BENCH_PLAN_CLUSTERS shrinks the fleet (a multiple of 10).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sandbox.client import SandboxClient
from tests.benchmarks import Figure
from tests.benchmarks.capacity import _sandbox
from workers.cloud import RetryPolicy
from workers.cloud.fleet import FleetClients
from workers.config import Settings
from workers.fleet.plan import run_plan
from workers.fleet.scope import Scope

NAME = "plan"
CLUSTERS = int(os.environ.get("ACKMIGRATE_BENCH_PLAN_CLUSTERS", "500"))
REGIONS = ("cn-hangzhou", "cn-beijing", "cn-shanghai", "cn-shenzhen", "cn-zhangjiakou")
B_ACCOUNT = "2000000000000002"
LATENCY_S = 0.2
CAP = 8
TARGET = 1.25
CLOUD = ("ack", "ecs", "slb", "ram", "oss", "sts")
SETUP_THREADS = 32


def run() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="ackmigrate-bench-plan-") as scratch, _sandbox(Path(scratch)) as env:
        control = SandboxClient(env["ACKMIGRATE_ACK_ENDPOINT"])
        role = control.create_account(B_ACCOUNT, "b")
        accounts = {"main": {"buckets": {r: f"main-{r}" for r in REGIONS}},
                    "b": {"role_arn": role, "buckets": {r: f"b-{r}" for r in REGIONS}}}
        _build_fleet(control)
        settings = Settings.from_env({**env, "ACKMIGRATE_REGIONS": ",".join(REGIONS),
                                      "ACKMIGRATE_ACCOUNTS": json.dumps(accounts),
                                      "ACKMIGRATE_CLOUD_CONCURRENCY": str(CAP)})
        control.clear_calls()
        for service in CLOUD:
            control.fault(service, latency_ms=int(LATENCY_S * 1000), count=-1)
        started = time.monotonic()
        report = run_plan(FleetClients(settings, retry=RetryPolicy()), Scope())
        wall = time.monotonic() - started
        calls = [c for c in control.calls() if c["service"] in CLOUD]
    checked = report.counts["ready"] + report.counts["blocked"]  # type: ignore[index]
    if checked != CLUSTERS:
        raise RuntimeError(f"the plan checked {checked} clusters, not {CLUSTERS}: {report.places}")
    lanes = Counter(_lane(c) for c in calls)
    busiest, busiest_calls = lanes.most_common(1)[0]
    lane_floor = busiest_calls * LATENCY_S / CAP
    even_floor = len(calls) * LATENCY_S / (CAP * len(lanes))
    return [
        Figure(NAME, f"dedicated clusters prechecked ({len(REGIONS)} regions × 2 accounts)", checked, "", "", None),
        Figure(NAME, f"cloud calls ({LATENCY_S * 1000:.0f} ms each), lanes with calls", len(calls), f"/ {len(lanes)}",
               "", None),
        Figure(NAME, f"busiest lane {'/'.join(busiest)}: calls", busiest_calls, "", "", None),
        Figure(NAME, f"floor: busiest lane × {LATENCY_S} s ÷ C={CAP}", lane_floor, "s", "", None),
        Figure(NAME, f"floor if calls spread evenly: total × {LATENCY_S} s ÷ (C × lanes)", even_floor, "s", "", None),
        Figure(NAME, "plan wall time", wall, "s", "", None),
        Figure(NAME, "wall time / busiest lane's floor", wall / lane_floor, "×", f"≤ {TARGET}", wall / lane_floor <= TARGET),
    ]


def _lane(call: dict[str, object]) -> tuple[str, str, str]:
    """(account, service, region) of a logged call: the lane the cap applies to."""
    return (str(call.get("account") or "?"), str(call["service"]), str(call.get("region") or "-"))


def _build_fleet(control: SandboxClient) -> None:
    places = [(account, region) for account in ("main", "b") for region in REGIONS]
    for account, region in places:
        control.create_bucket(f"{account}-{region}", region_id=region, account=account)
    per_place = CLUSTERS // len(places)

    def create(index: int) -> None:
        account, region = places[index // per_place]
        control.create_cluster(name=f"{account}-{region}-{index:04d}", region_id=region, account=account,
                               masters=3, workers=2, oss_granted_buckets=[f"{account}-{region}"])

    with ThreadPoolExecutor(SETUP_THREADS) as pool:
        list(pool.map(create, range(per_place * len(places))))
