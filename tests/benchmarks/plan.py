"""Plan: 500 dedicated clusters across 5 regions × 2 accounts, every cloud call 200 ms late.

The floor is what the cap allows at best: each lane (account, service, region) runs at most C calls at a
time (ACKMIGRATE_CLOUD_CONCURRENCY), so a lane with N calls needs at least N × 0.2 s ÷ C, and the plan
at least as long as its busiest lane. Printed with it: the same floor for the whole plan (total calls ×
0.2 s ÷ the effective concurrency, C × the lanes that carried calls), which assumes calls spread evenly
over lanes and so is the lower, optimistic figure. Target: wall time ≤ 1.25 × the busiest lane's floor.

Run at C=2 and C=8 (ACKMIGRATE_BENCH_PLAN_CAPS). Printed next to the wall time: the concurrency achieved
(calls × 0.2 s ÷ wall) beside the C × lanes allowed, and the CPU time of the planning process and of the
sandbox, with a CPU floor: the planning process's CPU (one process, one GIL) or both ÷ the cores,
whichever is larger, and which of the two floors binds ("bound by …", with wall time ÷ that floor). Each
call costs its SDK a few milliseconds of CPU (signing, the vendored requests, http.client), so about 6,000
calls and 500 kubeconfigs take 25–30 s of one core; when that is above the lanes' floor (C=8: 10 s) the
plan is bound by the worker's CPU, not by the cap, and the "bound by" row says so.

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
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sandbox.client import SandboxClient
from tests.benchmarks import Figure, measuring
from tests.benchmarks.sandbox_process import RunningSandbox, running_sandbox
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
CAPS = tuple(int(c) for c in os.environ.get("ACKMIGRATE_BENCH_PLAN_CAPS", "2,8").split(","))
TARGET = 1.25
CLOUD = ("ack", "ecs", "slb", "ram", "oss", "sts")
SETUP_THREADS = 32


def run() -> Iterator[Figure]:
    with tempfile.TemporaryDirectory(prefix="ackmigrate-bench-plan-") as scratch, \
            running_sandbox(Path(scratch)) as sandbox:
        control = SandboxClient(sandbox.env["ACKMIGRATE_ACK_ENDPOINT"])
        with measuring(f"building the fleet ({CLUSTERS} clusters)"):
            role = control.create_account(B_ACCOUNT, "b")
            _build_fleet(control)
        accounts = {"main": {"buckets": {r: f"main-{r}" for r in REGIONS}},
                    "b": {"role_arn": role, "buckets": {r: f"b-{r}" for r in REGIONS}}}
        for service in CLOUD:
            control.fault(service, latency_ms=int(LATENCY_S * 1000), count=-1)
        yield Figure(NAME, f"dedicated clusters ({len(REGIONS)} regions × 2 accounts)", CLUSTERS, "", "", None)
        for cap in CAPS:
            try:  # one cap's failure costs its own figures only, not the next cap's
                settings = Settings.from_env({**sandbox.env, "ACKMIGRATE_REGIONS": ",".join(REGIONS),
                                              "ACKMIGRATE_ACCOUNTS": json.dumps(accounts),
                                              "ACKMIGRATE_CLOUD_CONCURRENCY": str(cap)})
                yield from _plan_once(control, sandbox, settings, cap)
            except Exception as error:  # noqa: BLE001 - reported in the table, with its reason
                yield Figure.not_taken(NAME, error, measure=f"C={cap}: plan")


def _plan_once(control: SandboxClient, sandbox: RunningSandbox, settings: Settings, cap: int) -> list[Figure]:
    control.clear_calls()
    sandbox_cpu_started = sandbox.cpu_seconds()
    started, cpu_started = time.monotonic(), time.process_time()
    report = run_plan(FleetClients(settings, retry=RetryPolicy()), Scope())
    wall, cpu = time.monotonic() - started, time.process_time() - cpu_started
    sandbox_cpu = sandbox.cpu_seconds() - sandbox_cpu_started
    calls = [c for c in control.calls() if c["service"] in CLOUD]
    checked = report.to_migrate
    if checked != CLUSTERS:
        raise RuntimeError(f"the plan checked {checked} clusters, not {CLUSTERS}: {report.places}")
    lanes = Counter(_lane(c) for c in calls)
    busiest, busiest_calls = lanes.most_common(1)[0]
    lane_floor = busiest_calls * LATENCY_S / cap
    allowed = cap * len(lanes)
    even_floor = len(calls) * LATENCY_S / allowed
    achieved = len(calls) * LATENCY_S / wall
    cores = len(os.sched_getaffinity(0))
    cpu_floor = max(cpu, (cpu + sandbox_cpu) / cores)
    if cpu_floor <= lane_floor:
        bound = "the cap (busiest lane's floor)"
    elif cpu >= (cpu + sandbox_cpu) / cores:
        bound = "the planning process's CPU"
    else:
        bound = f"both processes' CPU on {cores} cores"
    at = f"C={cap}: "
    return [
        Figure(NAME, f"{at}cloud calls ({LATENCY_S * 1000:.0f} ms each) / lanes", len(calls), f"/ {len(lanes)}", "",
               None),
        Figure(NAME, f"{at}busiest lane ({'/'.join(busiest)}) calls", busiest_calls, "", "", None),
        Figure(NAME, f"{at}floor = busiest lane's calls × {LATENCY_S} s ÷ C", lane_floor, "s", "", None),
        Figure(NAME, f"{at}floor if spread evenly = calls × {LATENCY_S} s ÷ (C × {len(lanes)} lanes)", even_floor,
               "s", "", None),
        Figure(NAME, f"{at}plan wall time", wall, "s", "", None),
        Figure(NAME, f"{at}concurrency achieved = calls × {LATENCY_S} s ÷ wall (allowed {allowed})", achieved, "",
               "", None),
        Figure(NAME, f"{at}CPU time: planning process / sandbox process", cpu, f"s / {sandbox_cpu:.1f} s", "",
               None),
        Figure(NAME, f"{at}CPU floor = max(planning CPU, both CPUs ÷ {cores} cores)", cpu_floor, "s", "", None),
        Figure(NAME, f"{at}bound by {bound}: wall time / max(floor, CPU floor)", wall / max(lane_floor, cpu_floor),
               "×", "", None),
        Figure(NAME, f"{at}wall time / floor", wall / lane_floor, "×", f"≤ {TARGET}", wall / lane_floor <= TARGET),
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
