"""The wave engine's tick against a real Redis: what it starts (records, run_migration jobs, audit entries)
read back from Redis and the queues. No cloud is called by a tick; the migrations themselves are the
runbook's (tests/workers/test_runbook.py) and the e2e suite's."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis
from rq import Queue

from workers.audit import AuditLog
from workers.config import Settings
from workers.context import Context
from workers.domain.records import Record, State
from workers.domain.results import BlockedAtStart, MigrationResult
from workers.domain.waves import ClusterState, PauseCause, PauseReason, Wave, WaveCluster, WaveState
from workers.domain.workflows import MIGRATION
from workers.lifecycle import Lifecycle
from workers.queues import RUNBOOK_QUEUE
from workers.wave_engine import migration_ended, tick_wave, wave_record_id
from workers.wave_outbox import WaveOutbox


@pytest.fixture
def ctx(redis_url: str, redis_client: Redis) -> Iterator[Context]:
    settings = Settings.from_env({"REDIS_URL": redis_url, "ACKMIGRATE_EXPECTED_MIGRATION_MINUTES": "1"})
    yield Context(settings=settings, redis=redis_client)


def _clusters(count: int) -> tuple[WaveCluster, ...]:
    return tuple(WaveCluster(cluster_id=f"c{i:02d}", name=f"web-{i:02d}", account="main", region="cn-hangzhou")
                 for i in range(1, count + 1))


def _approved(ctx: Context, name: str = "w1", *, count: int = 4, max_parallel: int = 2, canary: int = 0,
              soak_s: float = 0.0, failure_budget: int = 0, windows: tuple[str, ...] = ()) -> Wave:
    lifecycle = Lifecycle.of(ctx)
    lifecycle.create_wave(Wave(
        name=name, requester="UREQ", channel="C1", bucket_map={"cn-hangzhou": "ack-hz"}, max_parallel=max_parallel,
        approvals_required=2, canary=canary, soak_s=soak_s, failure_budget=failure_budget, windows=windows,
        clusters=_clusters(count), state=WaveState.AWAITING_APPROVAL, expires_at=time.time() + 3600,
    ), actor="UREQ")
    lifecycle.approve_wave(name, user="UA", at=time.time())
    return lifecycle.approve_wave(name, user="UB", at=time.time())


def _runs(redis: Redis) -> list[str]:
    """The record ids run_migration was queued for."""
    return [str(job.args[0]) for job in Queue(RUNBOOK_QUEUE, connection=redis).get_jobs()
            if job.func_name == "workers.jobs.run_migration"]


def _end(ctx: Context, name: str, cluster_id: str, outcome: State) -> None:
    """The runbook ending a wave cluster's migration (as `_fail` / `_verify_success` do)."""
    record_id = wave_record_id(name, cluster_id)
    ctx.store.transition(record_id, State.MIGRATING)
    migration_ended(ctx, ctx.store.transition(record_id, outcome, reason="ACK task failed" if outcome is State.FAILED
                                              else None))


def test_an_approved_wave_starts_max_parallel_clusters_each_as_an_approved_migration_of_the_wave(ctx: Context) -> None:
    _approved(ctx, count=4, max_parallel=2)

    tick_wave(ctx, "w1")

    wave = ctx.waves.get("w1")
    assert wave.state is WaveState.RUNNING
    assert [c.cluster_id for c in wave.running] == ["c01", "c02"]
    records = [ctx.store.get(wave_record_id("w1", c)) for c in ("c01", "c02")]
    assert [(r.state, r.wave, r.bucket, r.approvers) for r in records] == [
        (State.APPROVED, "w1", "ack-hz", ["UA", "UB"])] * 2
    assert sorted(_runs(ctx.redis)) == sorted(r.id for r in records)
    started = [e for e in AuditLog(ctx.redis).read() if e.event == "wave_cluster_started"]
    assert sorted(e.record_id or "" for e in started) == sorted(r.id for r in records)


def test_a_tick_run_again_starts_nothing_more_and_never_a_cluster_twice(ctx: Context) -> None:
    _approved(ctx, count=4, max_parallel=2)

    for _ in range(3):
        tick_wave(ctx, "w1")

    assert len(ctx.waves.get("w1").running) == 2
    assert len(_runs(ctx.redis)) == 2


def test_two_racing_ticks_never_exceed_max_parallel_nor_start_a_cluster_twice(ctx: Context, redis_url: str) -> None:
    _approved(ctx, count=6, max_parallel=3)
    # Each thread has its own context (its own connection), as two worker processes would.
    others = [Context(settings=ctx.settings, redis=Redis.from_url(redis_url)) for _ in range(4)]
    barrier = threading.Barrier(len(others))
    errors: list[BaseException] = []

    def race(mine: Context) -> None:
        barrier.wait()
        try:
            for _ in range(3):
                tick_wave(mine, "w1", owner=f"worker-{id(mine)}")  # every one a different owner
        except BaseException as error:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=race, args=(mine,)) for mine in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    wave = ctx.waves.get("w1")
    assert len(wave.running) == 3
    runs = _runs(ctx.redis)
    assert len(runs) == 3 and len(set(runs)) == 3
    started = Counter(e.cluster_id for e in AuditLog(ctx.redis).read() if e.event == "wave_cluster_started")
    assert set(started.values()) == {1}


def test_an_end_frees_its_slot_and_the_next_cluster_starts(ctx: Context) -> None:
    _approved(ctx, count=3, max_parallel=2)
    tick_wave(ctx, "w1")

    _end(ctx, "w1", "c01", State.SUCCEEDED)
    tick_wave(ctx, "w1")

    wave = ctx.waves.get("w1")
    assert [(c.cluster_id, c.state) for c in wave.clusters] == [
        ("c01", ClusterState.SUCCEEDED), ("c02", ClusterState.RUNNING), ("c03", ClusterState.RUNNING)]
    ended = [e for e in AuditLog(ctx.redis).read() if e.event == "wave_cluster_ended"]
    assert [(e.cluster_id, e.details["ended"]) for e in ended] == [("c01", "succeeded")]


def test_an_end_the_hook_missed_is_recorded_once_by_the_next_tick(ctx: Context) -> None:
    _approved(ctx, count=2, max_parallel=1)
    tick_wave(ctx, "w1")
    record_id = wave_record_id("w1", "c01")
    ctx.store.transition(record_id, State.MIGRATING)
    ctx.store.transition(record_id, State.SUCCEEDED)  # the worker died before the runbook's hook

    tick_wave(ctx, "w1")
    tick_wave(ctx, "w1")

    wave = ctx.waves.get("w1")
    assert [c.state for c in wave.clusters] == [ClusterState.SUCCEEDED, ClusterState.RUNNING]
    assert [e.cluster_id for e in AuditLog(ctx.redis).read() if e.event == "wave_cluster_ended"] == ["c01"]


def test_a_claim_whose_record_was_never_made_gets_it_on_the_next_tick(ctx: Context) -> None:
    _approved(ctx, count=2, max_parallel=1)
    ctx.waves.claim_start("w1", "c01", record_id=wave_record_id("w1", "c01"))  # a tick killed right after

    tick_wave(ctx, "w1")

    assert ctx.store.get(wave_record_id("w1", "c01")).state is State.APPROVED
    assert _runs(ctx.redis) == [wave_record_id("w1", "c01")]
    assert len(ctx.waves.get("w1").running) == 1


@pytest.mark.parametrize("stop", ["pause", "cancel", "freeze"])
def test_a_paused_cancelled_or_frozen_wave_starts_nothing(ctx: Context, stop: str) -> None:
    _approved(ctx, count=3, max_parallel=2)
    if stop == "pause":
        Lifecycle.of(ctx).pause_wave("w1", PauseReason(cause=PauseCause.OPERATOR, by="UOPS"))
    elif stop == "cancel":
        Lifecycle.of(ctx).cancel_wave("w1", user="UA")
    else:
        ctx.freezes.freeze(by="UOPS", reason="incident")

    tick_wave(ctx, "w1")

    assert ctx.waves.get("w1").running == []
    assert _runs(ctx.redis) == []


def test_cancel_stops_the_starts_and_still_records_the_running_ones_ending(ctx: Context) -> None:
    _approved(ctx, count=3, max_parallel=1)
    tick_wave(ctx, "w1")
    Lifecycle.of(ctx).cancel_wave("w1", user="UA")

    _end(ctx, "w1", "c01", State.SUCCEEDED)
    tick_wave(ctx, "w1")

    wave = ctx.waves.get("w1")
    assert wave.state is WaveState.CANCELLED
    assert [c.state for c in wave.clusters] == [ClusterState.SUCCEEDED, ClusterState.PENDING, ClusterState.PENDING]
    assert _runs(ctx.redis) == [wave_record_id("w1", "c01")]


def test_a_failure_beyond_the_budget_pauses_the_wave_once_and_resume_goes_on(ctx: Context) -> None:
    _approved(ctx, count=3, max_parallel=1, failure_budget=0)
    tick_wave(ctx, "w1")

    _end(ctx, "w1", "c01", State.FAILED)
    tick_wave(ctx, "w1")
    tick_wave(ctx, "w1")

    paused = ctx.waves.get("w1")
    assert paused.state is WaveState.PAUSED
    assert paused.pause is not None and paused.pause.cause is PauseCause.FAILURE_BUDGET
    assert paused.pause.failed == ("web-01",)
    assert paused.running == []
    assert [e.event for e in AuditLog(ctx.redis).read() if e.event == "wave_paused"] == ["wave_paused"]

    Lifecycle.of(ctx).resume_wave("w1", user="UA")
    tick_wave(ctx, "w1")

    resumed = ctx.waves.get("w1")
    assert resumed.state is WaveState.RUNNING
    assert [c.cluster_id for c in resumed.running] == ["c02"]


def test_a_blocker_found_before_the_fence_skips_the_cluster(ctx: Context) -> None:
    _approved(ctx, count=2, max_parallel=1)
    tick_wave(ctx, "w1")
    record_id = wave_record_id("w1", "c01")
    failed = ctx.store.transition(record_id, State.FAILED, reason="a prerequisite failed",
                                  result=MigrationResult(blocker=BlockedAtStart("oss-bucket", "Bucket: missing")))

    migration_ended(ctx, failed)
    tick_wave(ctx, "w1")

    wave = ctx.waves.get("w1")
    first = wave.clusters[0]
    assert first.state is ClusterState.SKIPPED
    assert first.blocker is not None and first.blocker.check_id == "oss-bucket"
    assert wave.state is WaveState.RUNNING  # a skip is not a failure: the budget is untouched
    assert [c.cluster_id for c in wave.running] == ["c02"]


def test_a_cluster_another_request_holds_is_skipped_with_that_request_as_its_blocker(ctx: Context) -> None:
    _approved(ctx, count=1, max_parallel=1)
    other = ctx.store.create(Record(id=MIGRATION.new_record_id(), kind=MIGRATION.kind, cluster_id="c01",
                                    cluster_name="web-01", region="cn-hangzhou", requester="UOTHER", channel="C1"))

    tick_wave(ctx, "w1")

    wave = ctx.waves.get("w1")
    assert wave.clusters[0].state is ClusterState.SKIPPED
    assert wave.clusters[0].blocker is not None and other.id in wave.clusters[0].blocker.summary
    assert wave.state is WaveState.DONE


def test_a_closed_window_starts_nothing_and_schedules_the_tick_at_its_opening(ctx: Context) -> None:
    now = datetime.now(UTC)
    opens = (now + timedelta(hours=2)).replace(second=0, microsecond=0)
    closes = opens + timedelta(hours=1)
    _approved(ctx, count=2, windows=(f"{opens:%H:%M}-{closes:%H:%M} UTC",))

    tick_wave(ctx, "w1")

    assert ctx.waves.get("w1").running == []
    scheduled = [job_id for job_id in Queue(RUNBOOK_QUEUE, connection=ctx.redis).scheduled_job_registry.get_job_ids()
                 if job_id.startswith("tick-wave-w1-")]
    assert scheduled == [f"tick-wave-w1-{int(opens.timestamp())}"]


def test_the_last_end_finishes_the_wave_once(ctx: Context) -> None:
    _approved(ctx, count=1, max_parallel=1)
    tick_wave(ctx, "w1")

    _end(ctx, "w1", "c01", State.SUCCEEDED)
    tick_wave(ctx, "w1")
    tick_wave(ctx, "w1")

    assert ctx.waves.get("w1").state is WaveState.DONE
    assert [e.event for e in AuditLog(ctx.redis).read() if e.event == "wave_finished"] == ["wave_finished"]


def test_every_wave_event_is_audited_exactly_once_with_the_wave_name(ctx: Context) -> None:
    lifecycle = Lifecycle.of(ctx)
    _approved(ctx, "w1", count=2)
    lifecycle.pause_wave("w1", PauseReason(cause=PauseCause.OPERATOR, by="UOPS"))
    lifecycle.resume_wave("w1", user="UA")
    lifecycle.cancel_wave("w1", user="UA")
    lifecycle.create_wave(Wave(name="w2", requester="UREQ", channel="C1", clusters=_clusters(1),
                               state=WaveState.AWAITING_APPROVAL, expires_at=time.time() + 3600), actor="UREQ")
    lifecycle.reject_wave("w2", user="UA", reason="not this week")
    lifecycle.create_wave(Wave(name="w3", requester="UREQ", channel="C1", clusters=_clusters(1),
                               state=WaveState.AWAITING_APPROVAL, expires_at=time.time() - 1), actor="UREQ")
    lifecycle.expire_waves()
    lifecycle.expire_waves()  # a second sweep finds nothing left to expire

    seen = Counter((e.details.get("wave"), e.event) for e in AuditLog(ctx.redis).read())
    assert seen == Counter({
        ("w1", "requested"): 1, ("w1", "approved"): 2, ("w1", "wave_paused"): 1, ("w1", "wave_resumed"): 1,
        ("w1", "cancelled"): 1, ("w2", "requested"): 1, ("w2", "rejected"): 1, ("w3", "requested"): 1,
        ("w3", "expired"): 1,
    })


def test_each_start_and_end_is_told_in_the_waves_thread_once_however_often_ticks_and_hooks_run(ctx: Context) -> None:
    _approved(ctx, count=2, max_parallel=1)
    for _ in range(3):
        tick_wave(ctx, "w1")
    _end(ctx, "w1", "c01", State.SUCCEEDED)
    migration_ended(ctx, ctx.store.get(wave_record_id("w1", "c01")))  # the hook again, as after a retry
    for _ in range(2):
        tick_wave(ctx, "w1")

    lines = WaveOutbox(ctx.redis).pending("w1")
    assert [(line.cluster_id, type(line.event).__name__) for line in lines] == [
        ("c01", "ClusterStarted"), ("c01", "ClusterSucceeded"), ("c02", "ClusterStarted")]
