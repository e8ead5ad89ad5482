"""Capacity: 500 migrations followed at once by two `ackmigrate worker` processes.

The figure is the lag between a stage starting in the sandbox (its own clock of the stage change) and
the record showing it (the runbook's `result["timeline"]`): how stale the record, and so the thread,
is when one pair of workers follows hundreds of migrations. ACKMIGRATE_BENCH_MIGRATIONS shrinks the run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

from sandbox.runtime import Sandbox
from tests.benchmarks import Figure
from tests.redis_server import RedisServer
from workers.queues import Queues
from workers.records import Kind, Record, State, new_record_id
from workers.store import RecordStore

TARGET_P99_S = 2.0
BUCKET = "ack-migrate-hz"


def run() -> list[Figure]:
    count = int(os.environ.get("ACKMIGRATE_BENCH_MIGRATIONS", "500"))
    server = RedisServer()
    server.start()
    box = Sandbox(scenario="empty").start()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        client = redis.Redis.from_url(server.url)
        store = RecordStore(client)
        box.control.create_bucket(BUCKET)
        records = [_approved(store, box, index) for index in range(count)]
        env = {**os.environ, **box.env(), "REDIS_URL": server.url, "ACKMIGRATE_POLL_INTERVAL": "1"}
        worker = str(Path(sys.executable).with_name("ackmigrate"))
        processes = [subprocess.Popen([worker, "worker"], env=env, start_new_session=True,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
        queues = Queues(client)
        for record in records:
            queues.run_migration(record.id)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and any(not store.get(r.id).terminal for r in records):
            time.sleep(1)
        lags, succeeded = _lags(store, box, records)
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        box.stop()
        server.close()
    lags.sort()
    p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))] if lags else float("inf")
    return [
        Figure("capacity", f"migrations succeeded of {count}", succeeded, "", f"= {count}", succeeded == count),
        Figure("capacity", "stage → record lag, median", lags[len(lags) // 2] if lags else float("inf"), "s",
               "", None),
        Figure("capacity", "stage → record lag, p99", p99, "s", f"≤ {TARGET_P99_S:g} s", p99 <= TARGET_P99_S),
    ]


def _approved(store: RecordStore, box: Sandbox, index: int) -> Record:
    cluster = box.control.create_cluster(
        name=f"bench-{index:04d}", masters=3, workers=1, oss_granted_buckets=[BUCKET],
        migration={"duration_s": 60},
    )
    return store.create(Record(
        id=new_record_id(Kind.MIGRATION), kind=Kind.MIGRATION, cluster_id=cluster["cluster_id"],
        cluster_name=cluster["name"], region="cn-hangzhou", requester="U0ALICE", channel="C0PLATFORM",
        bucket=BUCKET, state=State.APPROVED, decided_by="U0BOB", decided_at=time.time(),
    ))


def _lags(store: RecordStore, box: Sandbox, records: list[Record]) -> tuple[list[float], int]:
    """Seconds from each stage's start in the sandbox to the record's noticing it (stages 2–5: stage 1
    starts with the MigrateCluster call itself)."""
    lags: list[float] = []
    succeeded = 0
    for record in records:
        saved = store.get(record.id)
        succeeded += saved.state is State.SUCCEEDED
        task = box.world.tasks.get(saved.task_id or "")
        if task is None:
            continue
        for seen in saved.result.get("timeline", []):
            stage = int(seen["stage"])
            if 2 <= stage <= len(task.stage_started):
                lags.append(float(seen["seen_at"]) - task.stage_started[stage - 1])
    return lags, succeeded


if __name__ == "__main__":
    from tests.bench import print_table

    print_table(run())
