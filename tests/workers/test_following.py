"""Following many migrations cheaply: a quiet poll touches only ACK and Redis, and says how late it ran."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import replace
from typing import Any

from rq.job import Job as RqJob

from tests.workers.runbook_harness import BUCKET, CHANNEL, approved_migration, drive, make_context
from workers import notify, runbook
from workers.cloud.models import TaskInfo, TaskStage
from workers.context import Context, use_context
from workers.domain.jobs import Job
from workers.domain.records import State
from workers.poll_lag import POLL_LAG_KEY, SCHEDULED_FOR, note_poll_start, recent_poll_lags
from workers.queues import Queues
from workers.store import Reply
from workers.timing import WorkerTiming


def _long_migration(sandbox: Any) -> dict[str, str]:
    sandbox.control.create_bucket(BUCKET)
    cluster: dict[str, str] = sandbox.control.create_cluster(
        name="prod-hz-1", oss_granted_buckets=[BUCKET], migration={"duration_s": 600}
    )
    return cluster


def test_polls_that_see_no_stage_change_make_no_slack_call(sandbox, sandbox_env):
    ctx = make_context(sandbox_env)
    record = approved_migration(ctx, _long_migration(sandbox))
    ctx.queues.enqueue(Job.RUN_MIGRATION, record.id)
    drive(ctx, lambda: ctx.store.get(record.id).stage == 1 and not ctx.store.pending_replies(record.id)
          and record.id not in ctx.store.dirty_messages())
    sandbox.control.clear_calls()
    polls_before = len(recent_poll_lags(ctx.redis))

    drive(ctx, lambda: len(recent_poll_lags(ctx.redis)) >= polls_before + 3)

    assert ctx.store.get(record.id).state is State.MIGRATING
    assert len(sandbox.control.calls(service="ack", action="DescribeTaskInfo")) >= 3
    assert sandbox.control.calls(service="slack") == []


def test_a_scheduled_poll_carries_the_moment_it_is_due(redis_client):
    before = time.time()
    job_id = uuid.uuid4().hex
    Queues(redis_client).schedule(Job.FOLLOW_MIGRATION, "mig-anything", delay_s=30, job_id=job_id)

    due = RqJob.fetch(job_id, connection=redis_client).meta[SCHEDULED_FOR]

    assert before + 30 <= due <= time.time() + 30


def test_each_poll_start_is_recorded_against_its_due_moment_newest_first(redis_client):
    note_poll_start(redis_client, {SCHEDULED_FOR: 100.0}, now=101.5)
    note_poll_start(redis_client, {SCHEDULED_FOR: 200.0}, now=199.75)
    unscheduled = note_poll_start(redis_client, {}, now=300.0)

    assert unscheduled is None
    assert recent_poll_lags(redis_client) == [-0.25, 1.5]
    assert redis_client.llen(POLL_LAG_KEY) == 2


def test_a_second_delivery_of_an_unchanged_record_makes_no_slack_call(sandbox, sandbox_env):
    ctx = make_context(sandbox_env)
    record = approved_migration(ctx, _long_migration(sandbox))
    ctx.store.update(record.id, message_ts=ctx.slack.post(CHANNEL, "request"))
    notify.announce(ctx, record.id)
    notify.deliver(ctx, record.id)
    sandbox.control.clear_calls()

    notify.announce(ctx, record.id)  # e.g. the reconciler found it dirty while the first delivery was queued
    notify.deliver(ctx, record.id)

    assert sandbox.control.calls(service="slack") == []
    assert record.id not in ctx.store.dirty_messages()

    ctx.store.update(record.id, stage=2, reply=Reply("Stage 2/5"))
    notify.deliver(ctx, record.id)  # the bot enqueues deliveries without marking the message dirty

    assert [c["action"] for c in sandbox.control.calls(service="slack")] == ["chat.postMessage", "chat.update"]


def test_a_slow_delivery_keeps_its_lock_and_a_second_one_posts_nothing_twice(sandbox, sandbox_env):
    ctx = make_context(sandbox_env)
    ctx = Context.build(ctx.settings, timing=WorkerTiming(lease_ttl_s=1, reconcile_interval_s=1))
    use_context(ctx)
    record = approved_migration(ctx, _long_migration(sandbox))
    ctx.store.update(record.id, message_ts=ctx.slack.post(CHANNEL, "request"), reply=Reply("Stage 1/5"))
    sandbox.control.fault("slack", "chat.postMessage", latency_ms=3000)  # Slack slower than the lock's TTL
    slow = threading.Thread(target=notify.deliver, args=(ctx, record.id))

    slow.start()
    time.sleep(2.0)  # twice the lock's 1 s TTL: only renewals keep it
    lock_holder = ctx.redis.get(f"ackmigrate:notify:lock:{record.id}")
    notify.deliver(ctx, record.id)  # e.g. the reconciler's delivery of the same record
    slow.join()

    assert lock_holder is not None, "the slow delivery's lock lapsed while it was still posting"
    replies = [m for m in sandbox.control.slack_messages(CHANNEL, thread_ts=ctx.store.get(record.id).message_ts)
               if m["text"] == "Stage 1/5"]
    assert len(replies) == 1, "the reply was posted once"
    assert ctx.redis.get(f"ackmigrate:notify:lock:{record.id}") is None, "the lock is released when done"


def test_a_lock_left_by_a_dead_delivery_frees_itself_within_its_ttl(sandbox, sandbox_env):
    ctx = make_context(sandbox_env)
    ctx = Context.build(ctx.settings, timing=WorkerTiming(lease_ttl_s=1, reconcile_interval_s=1))
    use_context(ctx)
    record = approved_migration(ctx, _long_migration(sandbox))
    ctx.store.update(record.id, message_ts=ctx.slack.post(CHANNEL, "request"), reply=Reply("Stage 1/5"))
    # What a delivery cut off by a SIGKILL or a Redis restart leaves behind: a lock nobody renews.
    ctx.redis.set(f"ackmigrate:notify:lock:{record.id}", "gone", px=1000)

    notify.deliver(ctx, record.id)
    assert ctx.store.pending_replies(record.id), "held off while the dead delivery's lock is fresh"
    time.sleep(1.2)
    notify.deliver(ctx, record.id)

    assert not ctx.store.pending_replies(record.id)


def test_a_poll_holding_a_stale_copy_still_tells_each_stage_the_saved_record_has_not_told(sandbox, sandbox_env):
    """The unplanned-failover case: the job read the record from the demoted master (already at stage 5)
    while the new master, which lost those writes, is at stage 2. The thread must still get stages 3-5."""
    ctx = make_context(sandbox_env)
    record = approved_migration(ctx, _long_migration(sandbox))
    saved = ctx.store.transition(record.id, State.MIGRATING, task_id="T-1", stage=2, stage_total=5)
    stale = replace(saved, stage=5)
    task = TaskInfo(task_id="T-1", task_type="cluster_migrate", state="running", current_stage="PostCheck",
                    stages=tuple(TaskStage(state="success", message=f"step {n}", start_time="2026-12-01 10:00:00",
                                           end_time="") for n in range(1, 6)),
                    error_code="", error_message="", created="", updated="")

    told = runbook.tell_stages(ctx, stale, task)
    runbook.tell_stages(ctx, told, task)  # the next poll, same task: nothing more to tell

    assert ctx.store.get(record.id).stage == 5
    pending = [reply.text.split(":")[0] for _, reply in ctx.store.pending_replies(record.id)]
    assert pending == ["Stage 3/5", "Stage 4/5", "Stage 5/5"]
    assert [moment.stage for moment in ctx.store.get(record.id).migration_result.timeline] == [3, 4, 5]
