"""Wave: 200 clusters, --max-parallel 10, short simulated migrations, run by real `ackmigrate worker`s.

Two figures, each with its target (issue 13):

- **slots kept full while work remains** (the headline): the time-weighted number of the wave's slots
  occupied, divided by max-parallel, from the first claim until the last pending cluster has been claimed
  (after that no cluster is pending, so an empty slot is not the engine's fault). A slot is occupied from
  the moment the engine claims a cluster (`WaveStore` claim, `WaveCluster.started_at`) until its end is
  recorded (`ended_at`): the fresh precheck, MigrateCluster, ACK's task and the verification are all part
  of migrating that cluster. What shows as an empty slot is the engine's own delay: an end recorded but
  the next cluster not claimed yet (the tick that does it waiting for a worker). Target ≥ 90 %.
  Printed next to it, as a secondary figure: the same measure with "occupied" read from the cloud's side,
  each ACK task's start and end as the sandbox recorded them — how much of the slots' time ACK itself
  was migrating (the bot's precheck before MigrateCluster and its poll and verification after ACK's end
  count as empty there).
- **Slack posts per minute in the channel**: the busiest 60 s of `chat.postMessage` in the wave's
  channel, from the sandbox's pace endpoint (`GET /_sandbox/slack/pace`): Slack allows about one message
  per second per channel. Target ≤ 60. The busiest minute of `chat.update` is printed next to it (Tier 3).

The sandbox runs as `ackmigrate sandbox` in its own process, Redis is a private `redis-server`, and
`ACKMIGRATE_BENCH_WAVE_WORKERS` (default 2) `ackmigrate worker` processes do the work, as in production.
The wave is asked for and approved through the engine's own entry points (the job the slash command
queues, and `Lifecycle.approve_wave`, what the Approve button calls once it authorised the click): the
bot's HTTP front adds nothing to what is measured. The stack's polls and sweeps are short (a migration
here lasts seconds, not an hour): `ACKMIGRATE_POLL_INTERVAL=0.5`. ACKMIGRATE_BENCH_WAVE_CLUSTERS and
ACKMIGRATE_BENCH_WAVE_DURATION_S shrink or stretch it.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis

from cli.local_redis import RedisServer
from sandbox.client import SandboxClient
from tests.benchmarks import Figure, MeasureFailed, measuring
from tests.benchmarks.sandbox_process import running_sandbox
from workers.audit import AuditLog
from workers.domain.waves import ClusterState, Wave, WaveState
from workers.lifecycle import Lifecycle
from workers.queues import Queues
from workers.store import RecordStore
from workers.wave_store import WaveStore

NAME = "wave"
CLUSTERS = int(os.environ.get("ACKMIGRATE_BENCH_WAVE_CLUSTERS", "200"))
MAX_PARALLEL = 10
DURATION_S = float(os.environ.get("ACKMIGRATE_BENCH_WAVE_DURATION_S", "20"))
"""Short, not absurd: 20 s of ACK's task against the bot's few seconds around it (a real one is an hour)."""
WORKERS = int(os.environ.get("ACKMIGRATE_BENCH_WAVE_WORKERS", "2"))
FILL_TARGET = 0.90
POSTS_TARGET = 60
CHANNEL = "C0PLATFORM"
REQUESTER, APPROVER = "U0ALICE", "U0BOB"
BUCKET = "ack-migrate-hz"
WAVE = "bench"
SETUP_THREADS = 16
REQUEST_DEADLINE_S = 600.0  # deadlines for a slow machine, not figures
RUN_DEADLINE_S = float(os.environ.get("ACKMIGRATE_BENCH_WAVE_DEADLINE_S", "600"))
"""200 clusters ÷ 10 slots × (20 s + the bot's own seconds) is about eight minutes; past this the wave is stuck, and the
figures are taken from what ran."""
ACKMIGRATE = Path(sys.executable).with_name("ackmigrate")
STACK = {
    "ACKMIGRATE_APPROVERS": "S0PLATFORM", "ACKMIGRATE_WAVE_APPROVALS_REQUIRED": "1",
    "ACKMIGRATE_POLL_INTERVAL": "0.5", "ACKMIGRATE_LEASE_TTL": "10", "ACKMIGRATE_RECONCILE_INTERVAL": "2",
}


def run() -> Iterator[Figure]:
    with tempfile.TemporaryDirectory(prefix="ackmigrate-bench-wave-") as scratch, \
            running_sandbox(Path(scratch)) as sandbox, _redis() as redis_url:
        control = SandboxClient(sandbox.env["ACKMIGRATE_ACK_ENDPOINT"])
        with measuring(f"building the fleet ({CLUSTERS} clusters)"):
            control.create_bucket(BUCKET)
            _build_fleet(control)
        yield Figure(NAME, f"clusters (max-parallel {MAX_PARALLEL}, {DURATION_S:g} s migrations, {WORKERS} workers)",
                     CLUSTERS, "", "", None)
        env = {**os.environ, **sandbox.env, **STACK, "REDIS_URL": redis_url}
        with _workers(env, Path(scratch)):
            connection = redis.Redis.from_url(redis_url)
            with measuring("the wave request (resolve, precheck and rank 200 clusters)"):
                _request(connection)
            started = time.monotonic()
            try:  # a wave that stalls still has figures to give: how full the slots were while it ran
                with measuring(f"wave wall time (approval to the last end, within {RUN_DEADLINE_S:.0f} s)"):
                    _approve_and_wait(connection)
                yield Figure(NAME, "wave wall time (approval to the last end)", time.monotonic() - started, "s",
                             "", None)
                ended = True
            except MeasureFailed as failed:
                yield Figure.not_taken(NAME, failed)
                ended = False
            wave = WaveStore(connection).get(WAVE)
        yield Figure(NAME, "clusters migrated", len(wave.in_state(ClusterState.SUCCEEDED)), "", "", None)
        until = None if ended else time.time()
        with measuring("slots kept full (the wave's claims and recorded ends)"):
            fill, span = _fill(_claimed_spans(wave), until=until)
        yield Figure(NAME, f"slots kept full while work remains ({span:.0f} s; claim → end recorded)", fill * 100,
                     "%", f"≥ {FILL_TARGET:.0%}", fill >= FILL_TARGET)
        with measuring("ACK-task occupancy (from the sandbox's task timings)"):
            tasks = _tasks(control, complete=ended)
            ack_fill, ack_span = _fill([(t["started_at"], t["ended_at"]) for t in tasks.values()], until=until)
        yield Figure(NAME, f"ACK-task occupancy ({ack_span:.0f} s): slots' time ACK's own task ran, not the bot's "
                     "precheck/verification", ack_fill * 100, "%", "", None)
        with measuring("where a slot's time goes (the wave's claims and ends against ACK's task timings)"):
            before, after = _overheads(wave, tasks)
        yield Figure(NAME, "slot claimed → MigrateCluster, median", statistics.median(before), "s", "", None)
        yield Figure(NAME, "ACK's task ended → the wave frees the slot, median", statistics.median(after), "s",
                     "", None)
        with measuring("Slack posts per minute (the sandbox's pace endpoint)"):
            pace = control.request("GET", "/slack/pace", channel=CHANNEL)
        posts = pace["busiest_minute"]["chat.postMessage"]
        yield Figure(NAME, "Slack posts in the channel, busiest minute", posts, "/min", f"≤ {POSTS_TARGET}",
                     posts <= POSTS_TARGET)
        yield Figure(NAME, "chat.update in the channel, busiest minute", pace["busiest_minute"]["chat.update"],
                     "/min", "", None)
        yield Figure(NAME, "posts answered 429 by Slack", pace.get("rate_limited", 0), "", "", None)


@contextmanager
def _redis() -> Iterator[str]:
    server = RedisServer()
    server.start()
    try:
        yield server.url
    finally:
        server.close()


@contextmanager
def _workers(env: dict[str, str], scratch: Path) -> Iterator[None]:
    """`ackmigrate worker` × WORKERS, logs in the scratch directory, stopped (SIGTERM, then SIGKILL)."""
    processes = []
    try:
        for index in range(WORKERS):
            with (scratch / f"worker-{index + 1}.log").open("ab") as log:
                processes.append(subprocess.Popen([str(ACKMIGRATE), "worker"], env=env, stdout=log, stderr=log,
                                                  start_new_session=True))
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _build_fleet(control: SandboxClient) -> None:
    def create(index: int) -> None:
        control.create_cluster(name=f"wave-{index:03d}", oss_granted_buckets=[BUCKET],
                               migration={"duration_s": DURATION_S})

    with ThreadPoolExecutor(SETUP_THREADS) as pool:
        list(pool.map(create, range(1, CLUSTERS + 1)))


def _lifecycle(connection: redis.Redis) -> Lifecycle:
    return Lifecycle(store=RecordStore(connection), audit=AuditLog(connection), queues=Queues(connection),
                     waves=WaveStore(connection))


def _request(connection: redis.Redis) -> None:
    """What `/ackmigrate wave create bench --clusters wave-* …` queues; returns once the request is posted."""
    _lifecycle(connection).request_wave(
        actor=REQUESTER, channel=CHANNEL, name=WAVE, command="wave create (benchmark)",
        patterns=["wave-*"], bucket_map={"cn-hangzhou": BUCKET}, max_parallel=MAX_PARALLEL, canary=0,
        soak_s=0.0, failure_budget=0,
    )
    wave = _wait(connection, lambda w: w is not None and w.state is WaveState.AWAITING_APPROVAL,
                 REQUEST_DEADLINE_S, "the wave request")
    if len(wave.pending) != CLUSTERS:
        raise RuntimeError(f"the wave holds {len(wave.pending)} clusters to migrate, not {CLUSTERS}")


def _approve_and_wait(connection: redis.Redis) -> None:
    _lifecycle(connection).approve_wave(WAVE, user=APPROVER, at=time.time())
    wave = _wait(connection, lambda w: w is not None and w.terminal, RUN_DEADLINE_S, "the wave's end")
    if wave.state is not WaveState.DONE:
        raise RuntimeError(f"the wave ended {wave.state.value}: {wave.pause or wave.reason}")


def _wait(connection: redis.Redis, done: Any, deadline_s: float, what: str) -> Any:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        wave = WaveStore(connection).find(WAVE)
        if done(wave):
            return wave
        time.sleep(0.5)
    raise TimeoutError(f"{what} not reached within {deadline_s:.0f} s")


def _tasks(control: SandboxClient, *, complete: bool) -> dict[str, dict[str, Any]]:
    """Each started cluster's one migration task, as ACK (the sandbox) timed it. `complete`: the wave ended,
    so every cluster has exactly one task and none still runs."""
    found = {c["cluster_id"]: [t for t in c["tasks"] if t["task_type"] != "remove_nodes"]
             for c in control.request("GET", "/clusters")}
    if any(len(tasks) > 1 for tasks in found.values()):
        raise RuntimeError(f"a cluster has {max(len(t) for t in found.values())} migration tasks: MigrateCluster twice")
    if complete and (any(not tasks or tasks[0]["ended_at"] is None for tasks in found.values())
                     or len(found) != CLUSTERS):
        raise RuntimeError("the wave ended, yet a cluster has no migration task or one still runs")
    return {cluster_id: tasks[0] for cluster_id, tasks in found.items() if tasks}


def _overheads(wave: Wave, tasks: dict[str, dict[str, Any]]) -> tuple[list[float], list[float]]:
    """Per cluster: from the wave's claim of a slot to ACK's task start (the run job's wait for a worker,
    the fresh precheck, the grant, the baseline), and from ACK's task end to the wave recording the end
    (the next poll, the verification, the end hook)."""
    before = [tasks[c.cluster_id]["started_at"] - c.started_at for c in wave.clusters
              if c.started_at and c.cluster_id in tasks]
    after = [c.ended_at - tasks[c.cluster_id]["ended_at"] for c in wave.clusters
             if c.ended_at and c.cluster_id in tasks and tasks[c.cluster_id]["ended_at"] is not None]
    return before, after


def _claimed_spans(wave: Wave) -> list[tuple[float, float | None]]:
    """Each claimed cluster's slot: from the engine's claim to its recorded end (None: still running)."""
    return [(c.started_at, c.ended_at) for c in wave.clusters if c.started_at]


def _fill(spans: list[tuple[float, float | None]], *, until: float | None) -> tuple[float, float]:
    """(time-weighted occupied ÷ max-parallel, the span) from the first start to the last start — or to
    `until` when the wave did not end (clusters were pending all along); a slot still occupied counts as
    occupied until then."""
    if not spans:
        raise RuntimeError("no migration started")
    first = min(start for start, _ in spans)
    last = until if until is not None else max(start for start, _ in spans)
    if last <= first:
        raise RuntimeError("every migration started at the same instant: nothing to measure")
    busy = sum(max(0.0, min(end if end is not None else last, last) - start) for start, end in spans)
    return busy / (MAX_PARALLEL * (last - first)), last - first
