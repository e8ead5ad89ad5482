"""The wave engine: `tick_wave` starts what a wave may start now; `migration_ended` reports a cluster's end.

A tick is short and idempotent, and may run on any worker, any number of times:

1. under the wave's tick lock (a lease on `wave:<name>`; a tick that finds it held leaves a "tick again"
   mark, so the holder runs once more and no event is lost), read the wave and the freeze;
2. catch up: a running cluster whose migration record has ended is recorded as ended (the runbook's hook
   normally did it); a running cluster with no record yet (a tick killed between its claim and the record)
   gets its record now — under the same deterministic id, so never two;
3. `next_starts` (pure) decides; for each cluster to start, `WaveStore.claim_start` is the atomic gate
   (max_parallel, not twice, not paused/cancelled/frozen), then the cluster's migration record is created
   *approved by the wave* under `wave_record_id(wave, cluster)` (the cluster lock in the RecordStore also
   refuses a second), its message is posted through the usual notify path (it names the wave, no buttons),
   and `run_migration` is queued. The runbook re-runs the prechecks just before the fence, as for any
   migration: a blocker found then ends the record with `result["blocker"]` and the wave skips the cluster;
4. then: a pause by the failure budget, the wave's end, or the next tick at the decision's "look again
   at" time (a scheduled job with an id per moment, so repeated ticks do not pile up);
5. the wave message is redrawn (`workers.wave_news`).

Exactly once comes from the store, not from this lock: two ticks racing (the lock lapsed on a stalled
worker) both decide, but only claims that fit under `max_parallel` succeed, and a cluster is claimed once.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta

from workers import wave_news
from workers.context import Context
from workers.domain.jobs import Job
from workers.domain.records import Record, State
from workers.domain.results import MigrationResult
from workers.domain.waves import (
    ENDED,
    Blocker,
    ClusterState,
    PauseWave,
    StartNow,
    Wait,
    Wave,
    WaveCluster,
    WaveFinished,
    WaveRefused,
    next_starts,
)
from workers.domain.workflows import WAVE
from workers.lease import LeaseHeld
from workers.lifecycle import Lifecycle
from workers.notify import announce
from workers.store import ClusterBusy
from workers.wave_store import Claimed

log = logging.getLogger(__name__)

TICK_LOCK_TTL_MS = 120_000
"""A tick touches only Redis (no cloud call), so two minutes is ample; a lapsed lock costs nothing but a
second decider, which the store's claim keeps within the rules."""

BUSY_CHECK = "cluster_busy"
"""A wave cluster's blocker when another request holds the cluster's lock."""


def wave_record_id(name: str, cluster_id: str) -> str:
    """The migration record of `cluster_id` in wave `name`: always the same id, so a retried tick finds the
    record the first attempt created instead of making a second."""
    digest = hashlib.sha256(f"{name}\0{cluster_id}".encode()).hexdigest()[:12]
    return f"{WAVE.member_workflow.id_prefix}-w{digest}"


def tick_lock(name: str) -> str:
    return f"wave:{name}"


def _again_key(name: str) -> str:
    return f"ackmigrate:wave:{name}:tick-again"


def tick_wave(ctx: Context, name: str, *, owner: str | None = None) -> None:
    """Look at wave `name` now (see the module docstring); safe to run anywhere, any number of times."""
    me = owner or uuid.uuid4().hex
    lock = tick_lock(name)
    while True:
        if not _take(ctx, lock, me):
            ctx.redis.set(_again_key(name), "1", px=TICK_LOCK_TTL_MS)
            if not _take(ctx, lock, me):
                return  # the holder will see the mark and tick once more
        try:
            ctx.redis.delete(_again_key(name))
            _tick(ctx, name)
        finally:
            ctx.leases.release(lock, me)
        if not ctx.redis.exists(_again_key(name)):
            return


def migration_ended(ctx: Context, record: Record) -> None:
    """The runbook's hook: a migration that belongs to a wave ended; record it in the wave (its tick runs)."""
    if record.wave is None or not record.terminal:
        return
    outcome, blocker = _outcome_of(record)
    try:
        saved = Lifecycle.of(ctx).end_wave_cluster(record.wave, record.cluster_id, outcome, record_id=record.id,
                                           blocker=blocker, error=record.reason if outcome is ClusterState.FAILED
                                           else None)
    except WaveRefused as already:
        # Recorded already (the hook, or a tick's catch-up, got there first). Its thread line is told again:
        # wave_notify adds a line once per cluster end, so this only replaces one a killed worker never queued.
        log.info("wave %s: %s", record.wave, already)
        current = ctx.waves.get(record.wave)
        ended = current.cluster(record.cluster_id)
        if ended is not None and ended.state in ENDED:
            wave_news.cluster(ctx, current, record.cluster_id)
        return
    wave_news.cluster(ctx, saved, record.cluster_id)


def tick_all(ctx: Context) -> list[str]:
    """Queue a tick for every wave not ended (the reconciler's sweep, an unfreeze): windows that opened,
    soaks that ended and restarts of any process are all picked up here. Returns the names."""
    names = [wave.name for wave in ctx.waves.active()]
    for name in names:
        ctx.queues.tick_wave(name)
    return names


def release_after_unfreeze(ctx: Context) -> list[str]:
    """After an unfreeze: every wave ticks, and each approved migration the freeze held is run now instead
    of at its next look (its scheduled job is moved to the queue; it still owns the record's lease)."""
    tick_all(ctx)
    released = []
    for record in ctx.store.in_flight():
        held = isinstance(record.result, MigrationResult) and record.result.held_by_freeze is not None
        if record.state is State.APPROVED and held:
            holder = ctx.leases.holder(record.id)
            if holder is not None and ctx.queues.run_now(Job.RUN_MIGRATION, holder):
                released.append(record.id)
    return released


# --- one tick --------------------------------------------------------------------------------------------


def _take(ctx: Context, lock: str, owner: str) -> bool:
    try:
        ctx.leases.acquire(lock, owner, ttl_ms=TICK_LOCK_TTL_MS)
    except LeaseHeld:
        return False
    return True


def _tick(ctx: Context, name: str) -> None:
    wave = ctx.waves.find(name)
    if wave is None:
        log.warning("tick for wave %s, which does not exist", name)
        return
    _catch_up(ctx, wave)
    expected = timedelta(seconds=ctx.settings.expected_migration_s)
    rounds = len(wave.clusters) + 1  # each round but the last claims at least one cluster
    for _ in range(rounds):
        wave = ctx.waves.get(name)
        decision = next_starts(wave, _now(), ctx.freezes.current(), expected)
        if not isinstance(decision, StartNow) or not _start_all(ctx, wave, decision):
            break
    _act_on(ctx, name, decision)
    wave_news.changed(ctx, name)


def _act_on(ctx: Context, name: str, decision: StartNow | Wait | PauseWave | WaveFinished) -> None:
    lifecycle = Lifecycle.of(ctx)
    if isinstance(decision, PauseWave):
        try:
            lifecycle.pause_wave(name, decision.reason)
        except WaveRefused as refused:
            log.info("wave %s: not paused: %s", name, refused)  # paused or cancelled meanwhile
    elif isinstance(decision, WaveFinished):
        try:
            lifecycle.finish_wave(name)
        except WaveRefused as refused:
            log.info("wave %s: not finished: %s", name, refused)
    elif isinstance(decision, Wait) and decision.until is not None:
        _tick_at(ctx, name, decision.until)


def _tick_at(ctx: Context, name: str, moment: datetime) -> None:
    """The next tick at `moment`, once: the job id names the moment, so asking twice schedules one job."""
    delay = max(0.0, (moment - _now()).total_seconds())
    ctx.queues.schedule(Job.TICK_WAVE, name, delay_s=delay, job_id=f"tick-wave-{name}-{int(moment.timestamp())}")


def _start_all(ctx: Context, wave: Wave, decision: StartNow) -> bool:
    """Claim and start each cluster; True when at least one was claimed (decide again afterwards)."""
    claimed_any = False
    for cluster_id in decision.cluster_ids:
        outcome = ctx.waves.claim_start(wave.name, cluster_id, record_id=wave_record_id(wave.name, cluster_id))
        if not isinstance(outcome, Claimed):
            log.info("wave %s: %s not started: %s", wave.name, cluster_id, outcome.why)
            continue
        claimed_any = True
        cluster = outcome.wave.cluster(cluster_id)
        assert cluster is not None  # the claim found it
        _open_migration(ctx, outcome.wave, cluster)
    return claimed_any


def _catch_up(ctx: Context, wave: Wave) -> None:
    """Repair what a killed tick or a lost hook left: ends not recorded, claims without their record."""
    for cluster in wave.running:
        record = ctx.store.find(wave_record_id(wave.name, cluster.cluster_id))
        if record is None:
            _open_migration(ctx, wave, cluster)
        elif record.terminal:
            migration_ended(ctx, record)
        else:
            wave_news.cluster(ctx, wave, cluster.cluster_id)  # its start line, once (a no-op when it is queued)


def _open_migration(ctx: Context, wave: Wave, cluster: WaveCluster) -> None:
    """The claimed cluster's migration request: created approved by the wave, posted, and started."""
    record_id = wave_record_id(wave.name, cluster.cluster_id)
    if ctx.store.find(record_id) is not None:
        return  # created by an earlier attempt: that one posted it and queued its start
    bucket = wave.bucket_map.get(cluster.region)
    now = time.time()
    record = Record(
        id=record_id, kind=WAVE.member_workflow.kind, cluster_id=cluster.cluster_id, cluster_name=cluster.name,
        region=cluster.region, account=cluster.account, requester=wave.requester, channel=wave.channel, state=State.APPROVED,
        bucket=bucket, approvals=list(wave.approvals), approvals_required=wave.approvals_required,
        decided_by=wave.decided_by, decided_at=now, wave=wave.name,  # now: the runbook times its start from it
    )
    lifecycle = Lifecycle.of(ctx)
    try:
        lifecycle.start_wave_cluster(record, wave=wave)
    except ClusterBusy as busy:
        blocker = Blocker(BUSY_CHECK, f"{cluster.name} already has a {busy.existing.kind} in flight "
                                      f"(request {busy.existing.id}, {busy.existing.state})")
        skipped = lifecycle.end_wave_cluster(wave.name, cluster.cluster_id, ClusterState.SKIPPED, blocker=blocker)
        wave_news.cluster(ctx, skipped, cluster.cluster_id)
        return
    announce(ctx, record_id)  # notify posts the cluster's own message (it has no ts yet), then its replies
    ctx.queues.enqueue(WAVE.member_workflow.start_job, record_id)
    wave_news.cluster(ctx, wave, cluster.cluster_id)  # `wave` as the claim saved it: the cluster running


def _outcome_of(record: Record) -> tuple[ClusterState, Blocker | None]:
    if record.state is record.workflow.succeeded:
        return ClusterState.SUCCEEDED, None
    found = record.migration_result.blocker
    if found is not None:
        return ClusterState.SKIPPED, Blocker(found.check_id, found.summary)
    return ClusterState.FAILED, None


def _now() -> datetime:
    return datetime.now(UTC)
