"""The one way to start background work: every job by its `Job` member, routed to its queue here.

Jobs are referenced by `Job` (workers.domain.jobs), never by a string: `_ROUTES` maps each to its queue
and its RQ options, and RQ imports `workers.jobs.<name>` by dotted path, so the bot never imports the
job modules (and the cloud SDKs behind them): a listener enqueues in a millisecond and acknowledges
Slack well inside its 3-second limit. Arguments are plain JSON-safe values, never clients or SDK
objects, so any worker on any machine can run any job.

`schedule` is how the runbook and the reconciler pass a record on to its next job: they choose the job
id in advance, because the record's lease (workers.lease) is handed to that id *before* the job exists,
so that job, and no stale duplicate, owns the record the moment it starts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from redis import Redis
from redis.client import Pipeline
from rq import Queue, Retry
from rq.job import Job as RqJob
from rq.registry import ScheduledJobRegistry

from workers.domain.jobs import Job
from workers.poll_lag import SCHEDULED_FOR

NOTIFY_QUEUE = "ackmigrate-notify"
"""Slack delivery: thread replies and message updates, taken after the other queues (see `ALL_QUEUES`)."""

INTERACTIVE_QUEUE = "ackmigrate-interactive"
"""Work a user is waiting on: prechecks, opening requests, listing clusters."""

RUNBOOK_QUEUE = "ackmigrate-runbook"
"""The migration runbook: migrate, follow, clean up. Steps are short; polling reschedules itself."""

ALL_QUEUES = (INTERACTIVE_QUEUE, RUNBOOK_QUEUE, NOTIFY_QUEUE)
"""What `ackmigrate worker` listens on, in priority order: a worker takes from the first non-empty queue.

A user's own request (interactive) first: someone is waiting on it, its jobs are few (one per click or
command), and its answer must describe the request as it was when they clicked — two people approving at
once are both counted before the winner's migration starts, so the loser is told who approved it rather
than "it is migrating" (with the runbook first, the winner's `run_migration` ran before the loser's click
was looked at). The runbook next: its steps are short (a tick, a MigrateCluster call, one poll of ACK's
task) and late ones cost the most — a wave's free slot stays empty, a follow poll notices an end late —
while the records they change are already saved, so a progress reply a few seconds late loses nothing.
Slack delivery last: it is paced to a post a second per channel (workers.slack_pace), so in a wave's burst
it always has work and, taken first, kept the runbook from running at all (the wave benchmark's stall: 59
of 200 clusters in ten minutes). It is bounded too — at most one queued delivery per record and per wave
while it waits for a reserved turn (workers.notify, workers.wave_notify) — so it drains whenever the
runbook pauses."""

PLAN_TIMEOUT_S = 3600
"""A plan over hundreds of clusters takes minutes: an hour's job timeout instead of RQ's default."""


@dataclass(frozen=True)
class Route:
    """Where a job runs and how RQ treats it."""

    queue: str
    options: Mapping[str, Any] = field(default_factory=dict)


_OPENING = {"retry": Retry(max=2, interval=[5, 15])}  # resolving a cluster may meet a throttled API

_ROUTES: Mapping[Job, Route] = MappingProxyType({
    Job.OPEN_MIGRATION_REQUEST: Route(INTERACTIVE_QUEUE, _OPENING),
    Job.OPEN_CLEANUP_REQUEST: Route(INTERACTIVE_QUEUE, _OPENING),
    Job.PRECHECK_FOR_USER: Route(INTERACTIVE_QUEUE),
    Job.VERIFY_FOR_USER: Route(INTERACTIVE_QUEUE),
    Job.LIST_CLUSTERS_FOR_USER: Route(INTERACTIVE_QUEUE),
    Job.REFRESH_PICKERS: Route(INTERACTIVE_QUEUE),
    Job.COUNT_APPROVAL: Route(INTERACTIVE_QUEUE),
    Job.PLAN_FLEET: Route(RUNBOOK_QUEUE, {"job_timeout": PLAN_TIMEOUT_S}),
    Job.RUN_MIGRATION: Route(RUNBOOK_QUEUE),
    Job.FOLLOW_MIGRATION: Route(RUNBOOK_QUEUE),
    Job.RUN_CLEANUP: Route(RUNBOOK_QUEUE),
    Job.DELIVER_NOTIFICATIONS: Route(NOTIFY_QUEUE),
    Job.DELIVER_WAVE_NOTIFICATIONS: Route(NOTIFY_QUEUE),
    Job.RECONCILE: Route(RUNBOOK_QUEUE),
    Job.OPEN_WAVE_REQUEST: Route(INTERACTIVE_QUEUE, {"job_timeout": PLAN_TIMEOUT_S}),
    Job.TICK_WAVE: Route(RUNBOOK_QUEUE),
    Job.FREEZE_CHANGED: Route(NOTIFY_QUEUE),
    Job.PUBLISH_HOME: Route(NOTIFY_QUEUE),
    Job.REFRESH_HOMES: Route(NOTIFY_QUEUE),
})
"""Every job's queue and options: the one table (a test checks every `Job` has a route)."""


def route_of(job: Job) -> Route:
    return _ROUTES[job]


@dataclass(frozen=True)
class Queues:
    """Enqueueing bound to one Redis connection (and, inside `batched()`, to one pipeline)."""

    connection: Redis
    pipeline: Pipeline | None = None
    """Set by `batched()`: jobs are written into it and sent with whatever else the caller adds."""

    @contextmanager
    def batched(self) -> Iterator[tuple[Queues, Pipeline]]:
        """Enqueue and audit in one round trip: a slash command's answer waits on Redis once, not three
        times (the ack benchmark's tail under 20 simultaneous commands was mostly those round trips)."""
        with self.connection.pipeline(transaction=True) as pipe:
            yield replace(self, pipeline=pipe), pipe
            pipe.execute()

    def enqueue(self, job: Job, *args: Any, delay_s: float = 0, **kwargs: Any) -> RqJob:
        """`workers.jobs.<job>(*args, **kwargs)` on its queue, now or after `delay_s` (RQ's scheduler)."""
        route = _ROUTES[job]
        queue = Queue(route.queue, connection=self.connection)
        if delay_s > 0:
            return queue.enqueue_in(timedelta(seconds=delay_s), job.path, args=args, kwargs=kwargs, **route.options)
        return queue.enqueue(job.path, args=args, kwargs=kwargs, pipeline=self.pipeline, **route.options)

    def schedule(self, job: Job, record_id: str, *, delay_s: float, job_id: str) -> RqJob:
        """`workers.jobs.<job>(record_id)` under a job id chosen in advance, now or after `delay_s`.

        The job carries the moment it is due in its meta, so whoever runs it can tell how late it started
        (workers.poll_lag)."""
        route = _ROUTES[job]
        queue = Queue(route.queue, connection=self.connection)
        meta = {SCHEDULED_FOR: time.time() + max(0.0, delay_s)}
        if delay_s > 0:
            return queue.enqueue_in(timedelta(seconds=delay_s), job.path, record_id, job_id=job_id, meta=meta,
                                    **route.options)
        return queue.enqueue(job.path, record_id, job_id=job_id, meta=meta, **route.options)

    def run_now(self, job: Job, job_id: str) -> bool:
        """Move a scheduled job (`schedule`'s id) to its queue now; False when it is not waiting any more
        (already run, or never scheduled). The job keeps its id, so it still owns what was handed to it."""
        queue = Queue(_ROUTES[job].queue, connection=self.connection)
        registry = ScheduledJobRegistry(queue=queue)
        if job_id not in registry.get_job_ids():
            return False
        registry.remove(job_id)
        queue.enqueue_job(RqJob.fetch(job_id, connection=self.connection))
        return True

    # -- the bot's jobs, with their arguments spelled out -----------------------------------------------

    def open_request(
        self, job: Job, *, cluster_ref: str, requester: str, channel: str, response_url: str | None,
        record_id: str, **details: Any,
    ) -> RqJob:
        """A workflow's open job (`Workflow.open_job`): resolve, lock, check and post the request message.

        `record_id`, given by the bot, names the request from the command on (its audit trail)."""
        return self.enqueue(job, cluster_ref=cluster_ref, requester=requester, channel=channel,
                            response_url=response_url, record_id=record_id, **details)

    def precheck_for_user(
        self, *, cluster_ref: str, bucket: str | None, user: str, channel: str, response_url: str | None
    ) -> RqJob:
        """Run the prechecks and answer the user privately."""
        return self.enqueue(Job.PRECHECK_FOR_USER, cluster_ref=cluster_ref, bucket=bucket, user=user,
                            channel=channel, response_url=response_url)

    def verify_for_user(self, *, cluster_ref: str, user: str, channel: str, response_url: str | None) -> RqJob:
        """Verify a (migrated) cluster and answer the user privately; the canary wait is bounded by
        ACKMIGRATE_CANARY_TIMEOUT, well inside RQ's job timeout."""
        return self.enqueue(Job.VERIFY_FOR_USER, cluster_ref=cluster_ref, user=user, channel=channel,
                            response_url=response_url)

    def list_clusters_for_user(self, *, user: str, channel: str, response_url: str | None) -> RqJob:
        """List the region's dedicated clusters with a one-word readiness each, privately."""
        return self.enqueue(Job.LIST_CLUSTERS_FOR_USER, user=user, channel=channel, response_url=response_url)

    def count_approval(self, record_id: str, *, user: str, clicked_at: float) -> RqJob:
        """An approver clicked: re-run the prechecks, count the approval, start the job at the last one."""
        return self.enqueue(Job.COUNT_APPROVAL, record_id, user=user, clicked_at=clicked_at)

    def plan_fleet(self, *, account: str | None, region: str | None, user: str, channel: str) -> RqJob:
        """Discover and precheck every dedicated cluster in scope and post the readiness report."""
        return self.enqueue(Job.PLAN_FLEET, account=account, region=region, user=user, channel=channel)

    def refresh_pickers(self, region: str) -> RqJob:
        """List the region's dedicated clusters and buckets into the modal's picker cache."""
        return self.enqueue(Job.REFRESH_PICKERS, region)

    def open_wave_request(self, **details: Any) -> RqJob:
        """Resolve a wave's patterns across the fleet, precheck and rank them, and post the wave request
        (`workers.wave_requests.open_wave_request`; the arguments are `WaveAsk`'s fields)."""
        return self.enqueue(Job.OPEN_WAVE_REQUEST, **details)

    def tick_wave(self, name: str, *, delay_s: float = 0, news: str | None = None) -> RqJob:
        """Look at the wave now (or after `delay_s`): record ends, start what may start, redraw its message.

        `news`: a wave event (`workers.domain.wave_events.to_json`) to tell the wave's thread first."""
        if news is None:
            return self.enqueue(Job.TICK_WAVE, name, delay_s=delay_s)
        return self.enqueue(Job.TICK_WAVE, name, delay_s=delay_s, news=news)

    def freeze_changed(self, *, freeze: str, lifted: bool, by: str, channel: str) -> RqJob:
        """Announce a freeze (`freeze`: its JSON) or its lifting by `by`; on an unfreeze, tick every wave and
        release the migrations it held."""
        return self.enqueue(Job.FREEZE_CHANGED, freeze=freeze, lifted=lifted, by=by, channel=channel)

    def deliver_notifications(self, record_id: str, *, delay_s: float = 0) -> RqJob:
        """Post a record's pending thread replies in order and re-render its message from the record."""
        return self.enqueue(Job.DELIVER_NOTIFICATIONS, record_id, delay_s=delay_s)

    def publish_home(self, user: str, *, delay_s: float = 0, trailing: bool = False) -> RqJob:
        """Publish `user`'s App Home tab (workers.home: at most once per interval each). `trailing`: the
        publish scheduled at the end of an interval that changes fell into."""
        return self.enqueue(Job.PUBLISH_HOME, user=user, trailing=trailing, delay_s=delay_s)

    def refresh_homes(self, *, delay_s: float = 0) -> RqJob:
        """Republish the App Home tab of everyone who opened it lately (something it shows changed)."""
        return self.enqueue(Job.REFRESH_HOMES, delay_s=delay_s)
