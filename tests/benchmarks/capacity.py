"""Capacity: 500 migrations in flight, followed by ONE `ackmigrate worker` polling every 15 s.

ARCHITECTURE.md promises that one worker follows hundreds of migrations, because a poll is a short job that
reschedules itself. The figure that shows whether it keeps up is the poll lag: how much later than
scheduled each poll starts (workers.poll_lag; the interval itself is not lag). Target: p99 ≤ 2 s.

Everything runs as in production, each in its own process so this one (and its GIL) measures nothing
but the result: `ackmigrate sandbox`, a private redis-server, one `ackmigrate worker`. The 500
migrations are started for real (MigrateCluster through the project's AckClient, the request message
posted through its SlackClient) but without 500 precheck runs: the records are written as the runbook
leaves them after MigrateCluster (migrating, task id, lease handed to the first poll), and the first
polls are spread over one interval, as migrations started at different times would be. Each migration
lasts MIGRATION_S simulated seconds, so all stay in flight while lags are measured; the first interval
is warm-up and not counted.

Also printed: Slack calls per migration in the measured window, and per stage change seen in it (a
poll that sees no change must make no Slack call: one thread reply and one redraw per change).
ACKMIGRATE_BENCH_MIGRATIONS and ACKMIGRATE_BENCH_MEASURE_S shrink the run; ACKMIGRATE_BENCH_PROFILE=FILE
runs the worker under cProfile and leaves its profile in FILE (read it with `python -m pstats FILE`);
ACKMIGRATE_BENCH_ACK_LATENCY_MS=N makes every DescribeTaskInfo answer N ms late (the sandbox answers in
about a millisecond; a real ACK endpoint does not), to size workers for a real network.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import redis
from rq import Worker

from cli.local_redis import RedisServer
from sandbox.client import SandboxClient
from sandbox.processes import stop_group
from tests.benchmarks import Figure, measuring
from tests.benchmarks.sandbox_process import ACKMIGRATE, STARTUP_DEADLINE_S, running_sandbox
from workers.cloud import CloudClients
from workers.config import Settings
from workers.domain.jobs import Job
from workers.domain.records import Kind, Record, State, new_record_id
from workers.lease import Leases
from workers.poll_lag import POLL_LAG_KEY, recent_poll_lags
from workers.queues import Queues
from workers.runbook import MIGRATION_STAGES
from workers.slack import SlackClient
from workers.store import RecordStore
from workers.timing import WorkerTiming

NAME = "capacity"
INTERVAL_S = 15
MIGRATION_S = 300  # simulated: long enough that none ends while lags are measured
TARGET_P99_S = 2.0
BUCKET = "ack-migrate-hz"
CHANNEL = "C0PLATFORM"
SETUP_THREADS = 16


def run() -> list[Figure]:
    count = int(os.environ.get("ACKMIGRATE_BENCH_MIGRATIONS", "500"))
    measure_s = float(os.environ.get("ACKMIGRATE_BENCH_MEASURE_S", "75"))
    latency_ms = int(os.environ.get("ACKMIGRATE_BENCH_ACK_LATENCY_MS", "0"))
    server = RedisServer()
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="ackmigrate-capacity-") as scratch, \
                running_sandbox(Path(scratch)) as sandbox:
            env = {**os.environ, **sandbox.env, "REDIS_URL": server.url,
                   "ACKMIGRATE_POLL_INTERVAL": str(INTERVAL_S)}
            client = redis.Redis.from_url(server.url)
            control = SandboxClient(env["ACKMIGRATE_ACK_ENDPOINT"])
            with measuring(f"setting up {count} migrations in flight"):
                records = _migrations_in_flight(Settings.from_env(env), control, RecordStore(client), count)
            if latency_ms:
                control.fault("ack", "DescribeTaskInfo", latency_ms=latency_ms, count=1_000_000)
            with measuring("poll lag with one worker"), _worker(env, client, Path(scratch) / "worker.log"):
                followed_from = time.time()
                _first_polls(client, records)
                time.sleep(INTERVAL_S)  # warm-up: the first round of polls is not counted
                counted_from, busy_from = client.llen(POLL_LAG_KEY), _busy(client)
                time.sleep(measure_s)
                lags = recent_poll_lags(client, client.llen(POLL_LAG_KEY) - counted_from)
                busy_to = _busy(client)
            # Every Slack call after the setup announces a stage change seen by the worker since then.
            slack_calls = sum(1 for c in control.calls("slack") if c["time"] >= followed_from)
            changes = _stage_changes(RecordStore(client), records, followed_from)
            lost = sum(1 for r in records if RecordStore(client).get(r.id).state is not State.MIGRATING)
    finally:
        server.close()
    figures = _lag_figures(count, lags, lost, measure_s)
    working_s, jobs = busy_to[0] - busy_from[0], busy_to[1] - busy_from[1]
    return [
        *figures,
        Figure(NAME, "worker busy per job (rq working time / jobs)", 1000 * working_s / max(1, jobs), "ms", "", None),
        Figure(NAME, "worker busy share of the window", 100 * working_s / measure_s, "%", "", None),
        Figure(NAME, f"Slack calls per migration ({INTERVAL_S + measure_s:g} s followed)", slack_calls / count,
               "", "", None),
        Figure(NAME, f"Slack calls per stage change ({changes} changes)", slack_calls / max(1, changes), "",
               "≤ 2", slack_calls <= 2 * changes),
    ]


# --- setting up ------------------------------------------------------------------------------------------


@contextmanager
def _worker(env: dict[str, str], client: redis.Redis, log_path: Path) -> Iterator[None]:
    """One `ackmigrate worker`, ready (registered with rq) before the first poll is scheduled."""
    log = log_path.open("wb")
    profile = os.environ.get("ACKMIGRATE_BENCH_PROFILE")  # a path: the worker runs under cProfile into it
    command = [sys.executable, "-m", "cProfile", "-o", profile] if profile else []
    process = subprocess.Popen([*command, str(ACKMIGRATE), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        while Worker.count(connection=client) < 1:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ackmigrate worker did not start: {log_path.read_text()}")
            time.sleep(0.05)
        yield
    finally:
        _stop(process)
        log.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    stop_group(process, timeout_s=30)


def _migrations_in_flight(settings: Settings, control: SandboxClient, store: RecordStore,
                          count: int) -> list[Record]:
    """`count` clusters, each migrating for real, each with its request message and a migrating record."""
    control.create_bucket(BUCKET)
    local = threading.local()

    def start(index: int) -> Record:
        if not hasattr(local, "clouds"):
            local.clouds = CloudClients.from_settings(settings)
            local.slack = SlackClient(token=str(settings.slack_bot_token), base_url=settings.slack_api_url)
        cluster = control.create_cluster(name=f"bench-{index:04d}", masters=3, workers=1,
                                         oss_granted_buckets=[BUCKET], migration={"duration_s": MIGRATION_S})
        record = store.create(Record(
            id=new_record_id(Kind.MIGRATION), kind=Kind.MIGRATION, cluster_id=cluster["cluster_id"],
            cluster_name=cluster["name"], region=settings.region, requester="U0ALICE", channel=CHANNEL,
            bucket=BUCKET, state=State.APPROVED, decided_by="U0BOB", decided_at=time.time(),
            message_ts=local.slack.post(CHANNEL, f"Migration of {cluster['name']} (benchmark)"),
        ))
        called_at = time.time()
        started = local.clouds.ack.migrate_cluster(cluster["cluster_id"], bucket=BUCKET,
                                                   bucket_endpoint="oss-cn-hangzhou-internal.aliyuncs.com")
        task = local.clouds.ack.describe_task(started.task_id)
        return store.transition(
            record.id, State.MIGRATING, migrate_called_at=called_at, task_id=started.task_id,
            started_at=called_at, stage=len(task.stages), stage_name=task.stages[-1].message or task.current_stage,
            stage_total=MIGRATION_STAGES,
        )

    with ThreadPoolExecutor(SETUP_THREADS) as pool:
        return list(pool.map(start, range(count)))


def _first_polls(client: redis.Redis, records: list[Record]) -> None:
    """What the runbook does after MigrateCluster: hand the lease to the next poll, schedule it. Spread
    over one interval, as migrations started at different moments are."""
    leases = Leases(client, ttl_s=WorkerTiming().lease_ttl_s)
    for index, record in enumerate(records):
        delay = INTERVAL_S * (index + 1) / len(records)
        job_id = uuid.uuid4().hex
        leases.claim(record.id, job_id, ttl_ms=int((delay + WorkerTiming().poll_grace_s) * 1000))
        Queues(client).schedule(Job.FOLLOW_MIGRATION, record.id, delay_s=delay, job_id=job_id)


# --- figures -------------------------------------------------------------------------------------------------


def _stage_changes(store: RecordStore, records: list[Record], since: float) -> int:
    """Stage changes the worker recorded since `since` (each should cost one reply and one redraw)."""
    seen = 0
    for record in records:
        timeline = [moment.to_dict() for moment in store.get(record.id).migration_result.timeline]
        seen += sum(1 for entry in timeline if float(entry["seen_at"]) >= since)
    return seen


def _busy(client: redis.Redis) -> tuple[float, int]:
    """The worker's own account (rq's worker hash): seconds spent in jobs, and jobs done."""
    (worker,) = Worker.all(connection=client)
    return worker.total_working_time, worker.successful_job_count + worker.failed_job_count


def _lag_figures(count: int, lags: list[float], lost: int, measure_s: float) -> list[Figure]:
    if not lags:
        raise RuntimeError("no poll ran in the measured window; see the worker's log")
    lags.sort()
    p50 = statistics.median(lags)
    p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
    expected = count * measure_s / INTERVAL_S
    return [
        Figure(NAME, f"migrations in flight, 1 worker, {INTERVAL_S} s interval", count, "", "", None),
        Figure(NAME, f"polls in {measure_s:g} s (one per migration per interval: {expected:,.0f})", len(lags),
               "", f"≥ {0.95 * expected:,.0f}", len(lags) >= 0.95 * expected),
        Figure(NAME, "migrations no longer migrating (lost or failed)", lost, "", "= 0", lost == 0),
        Figure(NAME, "poll lag p50", p50, "s", "", None),
        Figure(NAME, "poll lag p99", p99, "s", f"≤ {TARGET_P99_S:g} s", p99 <= TARGET_P99_S),
        Figure(NAME, "poll lag max", lags[-1], "s", "", None),
    ]


if __name__ == "__main__":
    from tests.bench import print_table

    print_table(run())
