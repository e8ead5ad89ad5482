"""Counting approvals in the worker: re-check, count atomically, start the job exactly once at the last.

The request is opened for real (prechecks against the sandbox, message posted to the Slack stand-in);
the assertions are what the channel, the approver and the queues see.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from rq import Queue

from sandbox.slack_render import render_message_text
from tests.workers.runbook_harness import BUCKET, CHANNEL, make_context, thread_texts
from workers import approving, notify, requests
from workers.context import Context
from workers.domain.records import Record, State
from workers.queues import RUNBOOK_QUEUE

ALICE, BOB, CAROL, DAVE = "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"


def _opened(sandbox: Any, ctx: Context, name: str, **spec: Any) -> Record:
    sandbox.control.create_bucket(BUCKET)
    cluster = sandbox.control.create_cluster(name=name, oss_granted_buckets=[BUCKET], **spec)
    requests.open_migration_request(ctx, cluster_ref=name, bucket=BUCKET, requester=ALICE, channel=CHANNEL,
                                    response_url=None)
    (record,) = ctx.store.for_cluster(cluster["cluster_id"])
    assert record.state is State.AWAITING_APPROVAL, record.reason
    return record


def _migrations_queued(ctx: Context) -> list[tuple[Any, ...]]:
    return [tuple(job.args) for job in Queue(RUNBOOK_QUEUE, connection=ctx.redis).jobs
            if job.func_name == "workers.jobs.run_migration"]


def _shown(sandbox: Any, ctx: Context, record: Record) -> tuple[str, list[str]]:
    """Deliver what is pending, then: the request message as people see it, and its thread."""
    notify.deliver(ctx, record.id)
    message = next(m for m in sandbox.control.slack_messages(CHANNEL) if m["ts"] == record.message_ts)
    return render_message_text(message), thread_texts(sandbox, ctx.store.get(record.id))


def _told(sandbox: Any, user: str) -> list[str]:
    return [str(m.get("text", "")) for m in sandbox.control.slack_ephemeral(channel=CHANNEL, user=user)]


def test_one_approval_of_one_required_starts_the_migration(sandbox: Any, sandbox_env: dict[str, str]) -> None:
    ctx = make_context(sandbox_env)
    record = _opened(sandbox, ctx, "approve-one")

    approving.count_approval(ctx, record.id, user=BOB, clicked_at=time.time())

    saved = ctx.store.get(record.id)
    assert (saved.state, saved.decided_by, saved.approvers) == (State.APPROVED, BOB, [BOB])
    assert _migrations_queued(ctx) == [(record.id,)]
    _, thread = _shown(sandbox, ctx, record)
    assert thread == [":white_check_mark: <@U0BOB> approved. Queued."]


def test_two_of_n_shows_each_approval_and_starts_at_the_second(sandbox: Any, sandbox_env: dict[str, str]) -> None:
    ctx = make_context(sandbox_env, ACKMIGRATE_APPROVALS_REQUIRED="2")
    record = _opened(sandbox, ctx, "approve-two")

    approving.count_approval(ctx, record.id, user=BOB, clicked_at=time.time())
    assert ctx.store.get(record.id).state is State.AWAITING_APPROVAL
    assert _migrations_queued(ctx) == []
    message, thread = _shown(sandbox, ctx, record)
    assert "Approvals: 1 of 2* — @bob" in message
    assert thread == [":white_check_mark: <@U0BOB> approved (1 of 2); waiting for 1 more approver."]

    approving.count_approval(ctx, record.id, user=CAROL, clicked_at=time.time())
    saved = ctx.store.get(record.id)
    assert (saved.state, saved.approvers, saved.decided_by) == (State.APPROVED, [BOB, CAROL], CAROL)
    assert _migrations_queued(ctx) == [(record.id,)]
    _, thread = _shown(sandbox, ctx, record)
    assert thread[-1] == ":white_check_mark: <@U0CAROL> approved (2 of 2). Queued."
    approved = [e for e in ctx.audit.read() if e.event == "approved"]
    assert [(e.actor, e.details["approvals"], e.details["required"]) for e in approved] == [(BOB, 1, 2), (CAROL, 2, 2)]


def test_the_same_approver_twice_counts_once(sandbox: Any, sandbox_env: dict[str, str]) -> None:
    ctx = make_context(sandbox_env, ACKMIGRATE_APPROVALS_REQUIRED="2")
    record = _opened(sandbox, ctx, "approve-twice")
    approving.count_approval(ctx, record.id, user=BOB, clicked_at=time.time())
    approving.count_approval(ctx, record.id, user=BOB, clicked_at=time.time())
    assert ctx.store.get(record.id).approvers == [BOB]
    assert _told(sandbox, BOB)[-1] == "Your approval of approve-twice is already counted (1 of 2)."


def test_simultaneous_last_approvals_start_exactly_one_migration(sandbox: Any, sandbox_env: dict[str, str]) -> None:
    ctx = make_context(sandbox_env, ACKMIGRATE_APPROVALS_REQUIRED="2")
    record = _opened(sandbox, ctx, "approve-race")
    approving.count_approval(ctx, record.id, user=BOB, clicked_at=time.time())
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def click(user: str) -> None:
        own = make_context(sandbox_env, ACKMIGRATE_APPROVALS_REQUIRED="2")  # as two workers would
        start.wait()
        try:
            approving.count_approval(own, record.id, user=user, clicked_at=time.time())
        except BaseException as error:  # noqa: BLE001 — reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=click, args=(user,)) for user in (CAROL, DAVE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    saved = ctx.store.get(record.id)
    assert saved.state is State.APPROVED and len(saved.approvals) == 2
    assert _migrations_queued(ctx) == [(record.id,)], "one job, so one MigrateCluster"
    loser = DAVE if saved.decided_by == CAROL else CAROL
    assert _told(sandbox, loser)[-1].startswith(f"This request was already approved by <@{saved.decided_by}>")


def test_an_approval_after_the_cluster_broke_is_refused_and_the_request_closed(
    sandbox: Any, sandbox_env: dict[str, str]
) -> None:
    ctx = make_context(sandbox_env)
    record = _opened(sandbox, ctx, "approve-broken")
    sandbox.control.change_cluster(record.cluster_id, cloud_assistant=False)

    approving.count_approval(ctx, record.id, user=BOB, clicked_at=time.time())

    saved = ctx.store.get(record.id)
    assert (saved.state, saved.approvals) == (State.BLOCKED, [])
    assert _migrations_queued(ctx) == []
    assert _told(sandbox, BOB)[-1].startswith("Your approval of approve-broken was not counted: the prechecks")
    message, thread = _shown(sandbox, ctx, record)
    assert thread[-1].startswith("⛔ The prechecks re-run at approval now block this migration:")
    assert "Cloud Assistant" in thread[-1]
    shown = next(m for m in sandbox.control.slack_messages(CHANNEL) if m["ts"] == record.message_ts)
    assert message.startswith("⛔") and not [b for b in shown["blocks"] if b["type"] == "actions"], "no buttons"
    assert [e.details["reason"] for e in ctx.audit.read() if e.event == "refused"] == ["stale_precheck"]


def test_an_approval_after_the_cluster_was_upgraded_is_refused_and_the_message_refreshed(
    sandbox: Any, sandbox_env: dict[str, str]
) -> None:
    ctx = make_context(sandbox_env, ACKMIGRATE_APPROVALS_REQUIRED="2")
    record = _opened(sandbox, ctx, "approve-upgraded", current_version="1.22.15-aliyun.1")
    approving.count_approval(ctx, record.id, user=BOB, clicked_at=time.time())
    sandbox.control.change_cluster(record.cluster_id, current_version="1.24.6-aliyun.1")

    approving.count_approval(ctx, record.id, user=CAROL, clicked_at=time.time())

    saved = ctx.store.get(record.id)
    assert (saved.state, saved.approvals) == (State.AWAITING_APPROVAL, []), "earlier approvals no longer count"
    assert saved.precheck is not None and saved.precheck.current_version == "1.24.6-aliyun.1"
    assert _migrations_queued(ctx) == []
    message, thread = _shown(sandbox, ctx, record)
    assert "1.24.6-aliyun.1" in message and "Approvals: 0 of 2" in message
    assert thread[-1].startswith("🔄 The cluster changed since this request was posted:")
    assert "Kubernetes version was 1.22.15-aliyun.1, now 1.24.6-aliyun.1" in thread[-1]
