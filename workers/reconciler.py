"""The sweep that keeps every approved request moving, whatever happened to the job that had it.

Every worker process offers to sweep every ACKMIGRATE_RECONCILE_INTERVAL seconds (workers.worker), but
one sweep per interval is done, whatever the number of workers: `sweep_if_due` takes the interval's
lock in Redis first (SET NX with a TTL just under the interval), and only its holder sweeps. The lock
is never released, only left to expire, so the next interval is anyone's again: a worker that died
holding it costs at most one interval, and no worker is special. How many sweeps each worker did is
counted in `ackmigrate:reconciler:sweeps` (a hash by worker id), for operators and for the tests.

Sweeps that did overlap (a burst worker, a lock lost with Redis) would still be safe, because every
action is claimed atomically in Redis:

- approvals past their TTL expire (the store hands each to exactly one caller) and their messages are
  redrawn without buttons;
- a record that needs attention (approved, migrating, running) whose lease has lapsed has lost its
  job (a SIGKILLed worker, a poll lost with Redis) and gets a new one, which takes the lease first;
- a message marked dirty (Slack missed an update) gets a delivery;
- wave requests past their TTL expire, and every wave not ended gets a tick (`workers.wave_engine`: its
  claims are atomic, so overlapping ticks never exceed `max_parallel` nor start a cluster twice).
"""

from __future__ import annotations

import logging
import uuid

from workers import notify, wave_engine, wave_notify
from workers.context import Context
from workers.domain.records import Record
from workers.lifecycle import Lifecycle

log = logging.getLogger(__name__)


SWEEP_LOCK = "ackmigrate:reconciler:lock"
SWEEP_COUNTS = "ackmigrate:reconciler:sweeps"
LOCK_SHARE_OF_INTERVAL = 0.9
"""The lock lives 90 % of the interval: gone by the time the next offer comes, whoever makes it (the
sweeper threads of different workers tick at different moments, each once per interval)."""


def sweep_if_due(ctx: Context) -> bool:
    """Sweep if no worker has swept in this interval; True when this worker did."""
    ttl_ms = max(1, int(ctx.timing.reconcile_interval_s * 1000 * LOCK_SHARE_OF_INTERVAL))
    if not ctx.redis.set(SWEEP_LOCK, ctx.worker_id, nx=True, px=ttl_ms):
        return False
    reconcile(ctx)
    return True


def reconcile(ctx: Context) -> None:
    ctx.redis.hincrby(SWEEP_COUNTS, ctx.worker_id, 1)
    expire_approvals(ctx)
    resume_orphans(ctx)
    redraw_dirty(ctx)
    Lifecycle.of(ctx).expire_waves()
    wave_engine.tick_all(ctx)  # windows opening, soaks ending, lost ticks: every wave looks again
    wave_notify.heal(ctx)


def expire_approvals(ctx: Context) -> list[Record]:
    return Lifecycle.of(ctx).expire_due()


def resume_orphans(ctx: Context) -> list[str]:
    """Start a job for every record whose lease lapsed; returns the ids resumed."""
    resumed = []
    for record in ctx.store.needs_attention():
        if ctx.leases.holder(record.id) is not None:
            continue
        job_id = uuid.uuid4().hex
        if not ctx.leases.claim(record.id, job_id, ttl_ms=int(ctx.timing.lease_ttl_s * 1000)):
            continue  # another worker's sweep or a job got there first
        job = record.workflow.resume_job(record.state, cloud_called=record.migrate_called_at is not None)
        ctx.queues.schedule(job, record.id, delay_s=0, job_id=job_id)
        log.warning("request %s (%s) had no live job; started %s", record.id, record.state, job_id)
        resumed.append(record.id)
    return resumed


def redraw_dirty(ctx: Context) -> None:
    for record_id in ctx.store.dirty_messages():
        notify.request_delivery(ctx, record_id)  # not a second one while one is queued or waits for its turn

