"""Prechecks against a slow cloud: how much of the calls' combined time a concurrent run takes.

Every sandbox service answers 200 ms late (a fault with latency_ms, count -1), as a far-away region
would. A run that asked one call after another would take the sum of the calls' times; the checks fetch
side by side and share what they fetch, so the wall time should be the longest chain of dependent calls
(cluster detail → resources → master role's policies → policy), well under the sum.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from sandbox.runtime import Sandbox
from tests.benchmarks import Figure
from workers.checks.model import Outcome
from workers.checks.runner import run_prechecks
from workers.cloud import CloudClients
from workers.config import Settings

NAME = "precheck"
LATENCY_MS = 200
RUNS = 3
TARGET_SHARE = 0.35
BUCKET = "ack-migrate-hz"
CLOUD_SERVICES = ("ack", "ecs", "slb", "ram", "oss", "kubernetes")


def run() -> list[Figure]:
    with Sandbox(scenario="empty") as box:
        control: Any = box.control
        control.create_bucket(BUCKET, "cn-hangzhou")
        cluster_id = control.create_cluster(name="bench-hz", oss_granted_buckets=[BUCKET])["cluster_id"]
        settings = Settings.from_env(box.env())
        clients = CloudClients.from_settings(settings)
        _check_once(clients, settings, cluster_id)  # warm-up: imports and connection pools, not measured
        for service in CLOUD_SERVICES:
            control.fault(service, latency_ms=LATENCY_MS, count=-1)
        walls, sums, details, calls = [], [], [], []
        for _ in range(RUNS):
            control.clear_calls()
            started = time.monotonic()
            _check_once(clients, settings, cluster_id)
            walls.append((time.monotonic() - started) * 1000)
            logged = [c for c in control.calls() if c["service"] in CLOUD_SERVICES]
            sums.append(sum(float(c["duration_ms"]) for c in logged))
            details.append(sum(1 for c in logged if c["action"] == "DescribeClusterDetail"))
            calls.append(len(logged))
    wall, total = statistics.median(walls), statistics.median(sums)
    share = wall / total
    return [
        Figure(NAME, f"calls per run ({LATENCY_MS} ms latency each)", statistics.median(calls), "", "", None),
        Figure(NAME, "sum of the calls' times", total, "ms", "", None),
        Figure(NAME, "concurrent wall time", wall, "ms", "", None),
        Figure(
            NAME,
            "wall time / sum of call times",
            share * 100,
            "%",
            f"≤ {TARGET_SHARE:.0%}",
            share <= TARGET_SHARE,
        ),
        Figure(NAME, "DescribeClusterDetail calls per run", max(details), "", "= 1", max(details) == 1),
    ]


def _check_once(clients: CloudClients, settings: Settings, cluster_id: str) -> None:
    report = run_prechecks(clients, settings, cluster=cluster_id, bucket=BUCKET)
    if report.verdict is not Outcome.PASS:
        # A benchmark of a run that failed half its checks would measure the wrong thing.
        failing = ", ".join(f"{c.id}: {c.summary}" for c in report.blocking)
        raise RuntimeError(f"the benchmark cluster did not pass its prechecks: {failing}")
