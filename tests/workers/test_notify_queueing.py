"""When a record's thread is brought up to date, as its readers see it: a record has one delivery queued while
its channel is booked, but a failed delivery's retry — backing off up to a minute, or lost with a Redis
failover — never keeps the next change, or the reconciler's sweep, from showing what is pending as soon as
Slack answers again; and a delivery waiting for a reserved turn that is lost is replaced by the sweep once
that turn has passed.

Only jobs queued to run now are run here (`run_queued`, no scheduler): a reply that shows up was delivered
without waiting for any scheduled retry."""

from __future__ import annotations

import time
from typing import Any

from rq import Queue, SimpleWorker
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from tests.workers.runbook_harness import CHANNEL, make_context
from workers import notify, reconciler
from workers.context import Context
from workers.domain.records import Kind, Record, State, new_record_id
from workers.queues import NOTIFY_QUEUE
from workers.store import Reply


def open_record(ctx: Context, name: str) -> Record:
    """A request whose message is in the channel (its thread's parent)."""
    record = ctx.store.create(Record(
        id=new_record_id(Kind.MIGRATION), kind=Kind.MIGRATION, cluster_id="c" + name[0] * 32, cluster_name=name,
        region="cn-hangzhou", requester="U0ALICE", channel=CHANNEL, state=State.AWAITING_APPROVAL,
        expires_at=time.time() + 600))
    return notify.post_parent(ctx, record)


def thread(sandbox: Any, record: Record) -> list[str]:
    """The replies under the record's message, as the channel shows them."""
    return [m["text"] for m in sandbox.control.slack_messages(CHANNEL, thread_ts=record.message_ts)][1:]


def run_queued(ctx: Context) -> None:
    """Run the delivery jobs queued to run now; scheduled ones (retries, waits for a turn) stay scheduled."""
    SimpleWorker([Queue(NOTIFY_QUEUE, connection=ctx.redis)], connection=ctx.redis).work(
        burst=True, with_scheduler=False, logging_level="WARNING")


def scheduled_deliveries(ctx: Context) -> list[str]:
    """The record deliveries waiting in RQ's schedule (a retry, or a wait for a turn); ids of their jobs."""
    registry = ScheduledJobRegistry(queue=Queue(NOTIFY_QUEUE, connection=ctx.redis))
    return [job.id for job in Job.fetch_many(registry.get_job_ids(), connection=ctx.redis)
            if job is not None and job.func_name.endswith(".deliver_notifications")]


def lose_scheduled_deliveries(ctx: Context) -> None:
    """What a Sentinel failover's lost writes, or a worker dying with the job, do to a scheduled delivery."""
    registry = ScheduledJobRegistry(queue=Queue(NOTIFY_QUEUE, connection=ctx.redis))
    for job_id in scheduled_deliveries(ctx):
        registry.remove(job_id, delete_job=True)


def test_a_change_after_a_failed_delivery_is_posted_as_soon_as_slack_answers_again(
    sandbox: Any, sandbox_env: dict[str, str]
) -> None:
    ctx = make_context(sandbox_env)
    record = open_record(ctx, "flaky")
    sandbox.control.fault("slack", action="chat.postMessage", http_status=500, count=-1)
    for attempt in range(4):  # Slack fails on each try: the record's back-off grows to 8 s
        ctx.store.add_reply(record.id, Reply(f"stage {attempt}"))
        notify.announce(ctx, record.id)
        run_queued(ctx)
    assert thread(sandbox, record) == []
    assert scheduled_deliveries(ctx), "the failed delivery is retried later, in case nothing changes"

    sandbox.control.clear_faults()  # Slack answers again
    ctx.store.add_reply(record.id, Reply("stage 4"))
    notify.announce(ctx, record.id)
    run_queued(ctx)

    assert thread(sandbox, record) == [f"stage {n}" for n in range(5)], "shown at once, not after the back-off"


def test_the_sweep_delivers_a_record_whose_retry_was_lost(sandbox: Any, sandbox_env: dict[str, str]) -> None:
    ctx = make_context(sandbox_env)
    record = open_record(ctx, "failover")
    sandbox.control.fault("slack", action="chat.postMessage", http_status=500, count=1)
    ctx.store.add_reply(record.id, Reply("stage 1"))
    notify.announce(ctx, record.id)
    run_queued(ctx)  # fails; its retry is scheduled
    lose_scheduled_deliveries(ctx)

    reconciler.redraw_dirty(ctx)  # the next sweep, with nothing else changing
    run_queued(ctx)

    assert thread(sandbox, record) == ["stage 1"]


def test_the_sweep_replaces_a_lost_delivery_once_its_reserved_turn_has_passed(
    sandbox: Any, sandbox_env: dict[str, str]
) -> None:
    ctx = make_context(sandbox_env, ACKMIGRATE_SLACK_POSTS_PER_MINUTE="30")  # turns 2 s apart
    record = open_record(ctx, "booked")  # the parent took the channel's turn
    ctx.store.add_reply(record.id, Reply("stage 1"))
    notify.announce(ctx, record.id)
    run_queued(ctx)  # the reply's turn is ~2 s away, past its patience: reserved, and the delivery waits for it
    assert len(scheduled_deliveries(ctx)) == 1
    lose_scheduled_deliveries(ctx)

    reconciler.redraw_dirty(ctx)
    assert Queue(NOTIFY_QUEUE, connection=ctx.redis).count == 0, "before its turn, the record waits (one job)"

    deadline = time.monotonic() + 30
    while not thread(sandbox, record) and time.monotonic() < deadline:
        time.sleep(0.5)
        reconciler.redraw_dirty(ctx)  # the sweep, every half second here
        run_queued(ctx)
    assert thread(sandbox, record) == ["stage 1"], "the sweep queued a delivery once the lost one's turn passed"
