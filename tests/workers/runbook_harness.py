"""In-process harness for runbook tests: a real Context on the sandbox and Redis, jobs run by real RQ.

`drive()` runs rq's SimpleWorker in burst mode with the scheduler, over and over, so scheduled polls
(`enqueue_in`) come due and run exactly as in a worker process, only in the test's own process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rq import SimpleWorker

from workers.cloud import RetryPolicy
from workers.config import Settings
from workers.context import Context, use_context
from workers.domain.records import Kind, Record, State, new_record_id
from workers.queues import ALL_QUEUES
from workers.timing import WorkerTiming

CHANNEL = "C0PLATFORM"
BUCKET = "ack-migrate-hz"


def make_context(env: dict[str, str], **overrides: str) -> Context:
    settings = Settings.from_env({**env, "ACKMIGRATE_POLL_INTERVAL": "0.2", **overrides})
    ctx = Context.build(
        settings,
        timing=WorkerTiming(lease_ttl_s=5, reconcile_interval_s=1),
        retry=RetryPolicy(attempts=2, base_delay_s=0.01, max_delay_s=0.02),
    )
    use_context(ctx)
    return ctx


def drive(ctx: Context, until: Callable[[], bool], *, timeout_s: float = 30.0) -> None:
    """Run queued and due scheduled jobs until `until()` holds; fail the test if it never does."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        SimpleWorker(list(ALL_QUEUES), connection=ctx.redis).work(
            burst=True, with_scheduler=True, logging_level="WARNING"
        )
        if until():
            return
        time.sleep(0.05)
    raise AssertionError(f"condition not reached within {timeout_s} s")


def migratable_cluster(sandbox: Any, **spec: Any) -> dict[str, str]:
    """`prod-hz-1` with the bucket created and granted, and a 2-second migration (unless the spec says otherwise)."""
    sandbox.control.create_bucket(BUCKET)
    spec.setdefault("oss_granted_buckets", [BUCKET])
    spec.setdefault("migration", {"duration_s": 2})
    result: dict[str, str] = sandbox.control.create_cluster(name="prod-hz-1", **spec)
    return result


def approved_migration(ctx: Context, cluster: dict[str, str], *, bucket: str = BUCKET) -> Record:
    """A migration request as the bot leaves it after approval (posted, approved by bob)."""
    record = Record(
        id=new_record_id(Kind.MIGRATION), kind=Kind.MIGRATION, cluster_id=cluster["cluster_id"],
        cluster_name=cluster["name"], region="cn-hangzhou", requester="U0ALICE", channel=CHANNEL,
        bucket=bucket, state=State.APPROVED, decided_by="U0BOB", decided_at=time.time(),
    )
    return ctx.store.create(record)


def thread_texts(sandbox: Any, record: Record) -> list[str]:
    """The replies people see under the request message, oldest first (the parent excluded)."""
    messages = sandbox.control.slack_messages(CHANNEL, thread_ts=record.message_ts)
    return [str(m.get("text", "")) for m in messages if m.get("ts") != record.message_ts]


def terminal(ctx: Context, record_id: str) -> Callable[[], bool]:
    return lambda: ctx.store.get(record_id).terminal


def delivered(ctx: Context, record_id: str) -> Callable[[], bool]:
    """Terminal, and every reply posted: what a person reading the thread eventually sees."""
    return lambda: ctx.store.get(record_id).terminal and not ctx.store.pending_replies(record_id)
