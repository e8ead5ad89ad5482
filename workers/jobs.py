"""RQ entry points, by the dotted paths `workers.queues` names: thin wrappers over the runbook.

Arguments are plain ids and strings; each job builds nothing itself but asks the process's context for
its clients. The RQ job id doubles as the owner of the record's lease (workers.lease), so a job the
runbook scheduled is recognised as the rightful next owner and a stale duplicate is not.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from rq import get_current_job

from workers import (
    approving,
    cleanup,
    home,
    notify,
    pickers,
    reconciler,
    requests,
    runbook,
    verifying,
    wave_engine,
    wave_news,
    wave_notify,
    wave_requests,
)
from workers.context import context
from workers.domain import wave_events
from workers.domain.freeze import Freeze
from workers.domain.jobs import Job
from workers.domain.records import TERMINAL
from workers.fleet.plan_job import post_plan
from workers.fleet.scope import Scope
from workers.poll_lag import note_poll_start


def open_migration_request(
    *, cluster_ref: str, bucket: str, requester: str, channel: str, response_url: str | None,
    record_id: str | None = None,
) -> None:
    with _audited(Job.OPEN_MIGRATION_REQUEST, actor=requester, cluster_name=cluster_ref, record_id=record_id):
        requests.open_migration_request(
            context(), cluster_ref=cluster_ref, bucket=bucket, requester=requester, channel=channel,
            response_url=response_url, record_id=record_id,
        )


def open_cleanup_request(
    *,
    cluster_ref: str,
    release_ecs: bool,
    requester: str,
    channel: str,
    response_url: str | None,
    parent_id: str | None = None,
    record_id: str | None = None,
) -> None:
    with _audited(Job.OPEN_CLEANUP_REQUEST, actor=requester, cluster_name=cluster_ref, record_id=record_id):
        requests.open_cleanup_request(
            context(), cluster_ref=cluster_ref, release_ecs=release_ecs, requester=requester, channel=channel,
            response_url=response_url, parent_id=parent_id, record_id=record_id,
        )


def precheck_for_user(
    *, cluster_ref: str, bucket: str | None, user: str, channel: str, response_url: str | None
) -> None:
    with _audited(Job.PRECHECK_FOR_USER, actor=user, cluster_name=cluster_ref):
        requests.precheck_for_user(
            context(), cluster_ref=cluster_ref, bucket=bucket, user=user, channel=channel,
            response_url=response_url,
        )


def verify_for_user(*, cluster_ref: str, user: str, channel: str, response_url: str | None) -> None:
    with _audited(Job.VERIFY_FOR_USER, actor=user, cluster_name=cluster_ref):
        verifying.verify_for_user(context(), cluster_ref=cluster_ref, user=user, channel=channel,
                                  response_url=response_url)


def list_clusters_for_user(*, user: str, channel: str, response_url: str | None) -> None:
    requests.list_clusters_for_user(context(), user=user, channel=channel, response_url=response_url)


def plan_fleet(*, account: str | None, region: str | None, user: str, channel: str) -> None:
    with _audited(Job.PLAN_FLEET, actor=user):
        post_plan(context(), scope=Scope(account=account, region=region), user=user, channel=channel)


def count_approval(record_id: str, *, user: str, clicked_at: float) -> None:
    with _audited(Job.COUNT_APPROVAL, actor=user, record_id=record_id):
        approving.count_approval(context(), record_id, user=user, clicked_at=clicked_at)


def refresh_pickers(region: str) -> None:
    pickers.refresh(context(), region)


def run_migration(record_id: str) -> None:
    with _audited(Job.RUN_MIGRATION, record_id=record_id):
        runbook.run_migration(context(), record_id, owner=_job_id())


def follow_migration(record_id: str) -> None:
    job = get_current_job()
    if job is not None:
        note_poll_start(context().redis, job.meta)
    ctx = context()
    before = ctx.store.find(record_id)
    runbook.follow_migration(ctx, record_id, owner=_job_id())
    record = ctx.store.find(record_id)
    if before is not None and not before.terminal and record is not None and record.state in TERMINAL:
        # Polls are too many to audit one by one (one per migration per interval); the one that ends the
        # migration is the job end an auditor looks for.
        ctx.audit.append("job_finished", record_id=record_id, cluster_id=record.cluster_id,
                         outcome=str(record.state), job=Job.FOLLOW_MIGRATION, task_id=record.task_id)


def run_cleanup(record_id: str) -> None:
    with _audited(Job.RUN_CLEANUP, record_id=record_id):
        cleanup.run_cleanup(context(), record_id, owner=_job_id())


def open_wave_request(
    *, name: str, requester: str, channel: str, patterns: list[str] | tuple[str, ...], bucket_map: dict[str, str],
    account: str | None = None, region: str | None = None, max_parallel: int = 1,
    windows: list[str] | tuple[str, ...] = (), canary: int = 1, soak_s: float = 1800.0, failure_budget: int = 0,
    response_url: str | None = None,
) -> None:
    with _audited(Job.OPEN_WAVE_REQUEST, actor=requester, cluster_name=name):
        wave_requests.open_wave_request(context(), wave_requests.WaveAsk(
            name=name, requester=requester, channel=channel, patterns=tuple(patterns), bucket_map=dict(bucket_map),
            account=account, region=region, max_parallel=max_parallel, windows=tuple(windows), canary=canary,
            soak_s=soak_s, failure_budget=failure_budget, response_url=response_url))


def tick_wave(name: str, *, news: str | None = None) -> None:
    """Short and frequent (every wave event, every sweep): not audited as a job; its effects are. `news` is
    the wave event the lifecycle saved (approved, paused…), told in the wave's thread first."""
    ctx = context()
    if news is not None:
        event = wave_events.from_json(news)
        if not isinstance(event, wave_events.WaveEvent):
            raise TypeError(f"a wave tick carries a wave event, not {event!r}")
        wave_news.wave(ctx, name, event)
    wave_engine.tick_wave(ctx, name, owner=_job_id())


def freeze_changed(*, freeze: str, lifted: bool, by: str, channel: str) -> None:
    """Announce the freeze (or its lifting); on an unfreeze, every wave ticks and held migrations go on."""
    ctx = context()
    moment = Freeze.from_json(freeze)
    if not lifted:
        wave_news.freeze(ctx, moment, by=by, channel=channel)
        return
    wave_news.unfreeze(ctx, moment, by=by, channel=channel)
    wave_engine.release_after_unfreeze(ctx)


def deliver_notifications(record_id: str) -> None:
    ctx = context()
    notify.deliver(ctx, record_id)
    home.home_changed(ctx)  # what a thread shows changed, so may the App Home tab (one refresh per interval)


def publish_home(*, user: str, trailing: bool = False) -> None:
    home.publish_for(context(), user, trailing=trailing)


def refresh_homes() -> None:
    home.refresh_viewers(context())


def deliver_wave_notifications(name: str) -> None:
    """Post a wave's pending thread lines and redraw its parent (workers.wave_notify)."""
    wave_notify.deliver(context(), name)


def reconcile() -> None:
    """One sweep: expire lapsed approvals, restart lost runbook jobs, redraw messages Slack missed."""
    reconciler.reconcile(context())


@contextmanager
def _audited(job: Job, *, record_id: str | None = None, actor: str | None = None,
             cluster_name: str | None = None) -> Iterator[None]:
    """`job_started` and `job_finished` (with how it ended and how long it took) in the audit log.

    A job that raises is audited as `error` with the exception's type and re-raised for RQ to record.
    """
    ctx = context()
    started = time.monotonic()
    ctx.audit.append("job_started", actor=actor, record_id=record_id, job=job, cluster_name=cluster_name,
                     rq_job=_job_id())
    try:
        yield
    except BaseException as error:
        ctx.audit.append("job_finished", actor=actor, record_id=record_id, outcome="error", job=job,
                         cluster_name=cluster_name, error=type(error).__name__,
                         seconds=round(time.monotonic() - started, 3))
        raise
    record = ctx.store.find(record_id) if record_id else None
    ctx.audit.append("job_finished", actor=actor, record_id=record_id, job=job, cluster_name=cluster_name,
                     cluster_id=record.cluster_id if record else None, state=str(record.state) if record else None,
                     seconds=round(time.monotonic() - started, 3))


def _job_id() -> str:
    job = get_current_job()
    return job.id if job is not None else uuid.uuid4().hex
