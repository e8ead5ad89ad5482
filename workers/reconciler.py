"""The sweep that keeps every approved request moving, whatever happened to the job that had it.

Run every ACKMIGRATE_RECONCILE_INTERVAL seconds by each worker process (workers.worker); sweeps by
several workers at once are safe, because every action is claimed atomically in Redis:

- approvals past their TTL expire (the store hands each to exactly one caller) and their messages are
  redrawn without buttons;
- a record that needs attention (approved, migrating, running) whose lease has lapsed has lost its
  job (a SIGKILLed worker, a poll lost with Redis) and gets a new one, which takes the lease first;
- a message marked dirty (Slack missed an update) gets a delivery.
"""

from __future__ import annotations

import logging
import uuid

from workers.context import Context
from workers.notify import announce
from workers.records import Kind, Record, State
from workers.scheduling import schedule
from workers.store import Reply

log = logging.getLogger(__name__)


def reconcile(ctx: Context) -> None:
    expire_approvals(ctx)
    resume_orphans(ctx)
    redraw_dirty(ctx)


def expire_approvals(ctx: Context) -> list[Record]:
    expired = ctx.store.expire_due(
        reply=lambda record: Reply("⌛ Nobody approved or rejected this in time; the request has expired.")
    )
    for record in expired:
        ctx.audit.append("expired", record_id=record.id, cluster_id=record.cluster_id,
                         cluster_name=record.cluster_name)
        announce(ctx, record.id)
    return expired


def resume_orphans(ctx: Context) -> list[str]:
    """Start a job for every record whose lease lapsed; returns the ids resumed."""
    resumed = []
    for record in ctx.store.needs_attention():
        if ctx.leases.holder(record.id) is not None:
            continue
        job_id = uuid.uuid4().hex
        if not ctx.leases.claim(record.id, job_id, ttl_ms=int(ctx.timing.lease_ttl_s * 1000)):
            continue  # another worker's sweep or a job got there first
        schedule(ctx.redis, _job_for(record), record.id, delay_s=0, job_id=job_id)
        log.warning("request %s (%s) had no live job; started %s", record.id, record.state, job_id)
        resumed.append(record.id)
    return resumed


def redraw_dirty(ctx: Context) -> None:
    for record_id in ctx.store.dirty_messages():
        ctx.queues.deliver_notifications(record_id)


def _job_for(record: Record) -> str:
    if record.kind is Kind.CLEANUP:
        return "run_cleanup"
    if record.state is State.APPROVED and record.migrate_called_at is None:
        return "run_migration"
    return "follow_migration"
