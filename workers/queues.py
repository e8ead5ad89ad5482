"""The bot's only way to start background work: named queues and one enqueue function per job.

Jobs are referenced by dotted path, so the bot never imports the job modules (and the cloud SDKs behind
them): a listener enqueues in a millisecond and acknowledges Slack well inside its 3-second limit.
Arguments are plain JSON-safe values, never clients or SDK objects, so any worker on any machine can
run any job.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from redis import Redis
from redis.client import Pipeline
from rq import Queue, Retry
from rq.job import Job

from workers.domain.jobs import Job as JobName

NOTIFY_QUEUE = "ackmigrate-notify"
"""Slack delivery: thread replies and message updates, first so users see progress promptly."""

INTERACTIVE_QUEUE = "ackmigrate-interactive"
"""Work a user is waiting on: prechecks, opening requests, listing clusters."""

RUNBOOK_QUEUE = "ackmigrate-runbook"
"""The migration runbook: migrate, follow, clean up. Steps are short; polling reschedules itself."""

ALL_QUEUES = (NOTIFY_QUEUE, INTERACTIVE_QUEUE, RUNBOOK_QUEUE)
PLAN_TIMEOUT_S = 3600
"""What `ackmigrate worker` listens on, in priority order."""

_JOBS = "workers.jobs"


@dataclass(frozen=True)
class Queues:
    """Enqueue helpers bound to one Redis connection (and, inside `batched()`, to one pipeline)."""

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

    def _queue(self, name: str) -> Queue:
        return Queue(name, connection=self.connection)

    def _put(self, queue: str, func: str, *args: Any, **options: Any) -> Job:
        return self._queue(queue).enqueue(func, *args, pipeline=self.pipeline, **options)

    def open_migration_request(
        self, *, cluster_ref: str, bucket: str, requester: str, channel: str, response_url: str | None,
        record_id: str | None = None,
    ) -> Job:
        """Resolve the cluster, take its lock, run the prechecks and post the request message.

        `record_id`, given by the bot, names the request from the command on (its audit trail)."""
        return self._put(INTERACTIVE_QUEUE, f"{_JOBS}.open_migration_request",
            kwargs={"cluster_ref": cluster_ref, "bucket": bucket, "requester": requester, "channel": channel,
                    "response_url": response_url, "record_id": record_id},
            retry=Retry(max=2, interval=[5, 15]),
        )

    def open_cleanup_request(
        self,
        *,
        cluster_ref: str,
        release_ecs: bool,
        requester: str,
        channel: str,
        response_url: str | None,
        parent_id: str | None = None,
        record_id: str | None = None,
    ) -> Job:
        """List the old masters and post a cleanup request for approval."""
        return self._put(INTERACTIVE_QUEUE, f"{_JOBS}.open_cleanup_request",
            kwargs={"cluster_ref": cluster_ref, "release_ecs": release_ecs, "requester": requester,
                    "channel": channel, "response_url": response_url, "parent_id": parent_id,
                    "record_id": record_id},
            retry=Retry(max=2, interval=[5, 15]),
        )

    def precheck_for_user(
        self, *, cluster_ref: str, bucket: str | None, user: str, channel: str, response_url: str | None
    ) -> Job:
        """Run the prechecks and answer the user privately."""
        return self._put(INTERACTIVE_QUEUE, f"{_JOBS}.precheck_for_user",
            kwargs={"cluster_ref": cluster_ref, "bucket": bucket, "user": user, "channel": channel,
                    "response_url": response_url},
        )

    def verify_for_user(self, *, cluster_ref: str, user: str, channel: str, response_url: str | None) -> Job:
        """Verify a (migrated) cluster and answer the user privately; the canary wait is bounded by
        ACKMIGRATE_CANARY_TIMEOUT, well inside RQ's job timeout."""
        return self._put(INTERACTIVE_QUEUE, f"{_JOBS}.verify_for_user",
            kwargs={"cluster_ref": cluster_ref, "user": user, "channel": channel, "response_url": response_url},
        )

    def list_clusters_for_user(self, *, user: str, channel: str, response_url: str | None) -> Job:
        """List the region's dedicated clusters with a one-word readiness each, privately."""
        return self._put(INTERACTIVE_QUEUE, f"{_JOBS}.list_clusters_for_user",
            kwargs={"user": user, "channel": channel, "response_url": response_url},
        )

    def count_approval(self, record_id: str, *, user: str, clicked_at: float) -> Job:
        """An approver clicked: re-run the prechecks, count the approval, start the job at the last one."""
        return self._put(INTERACTIVE_QUEUE, f"{_JOBS}.count_approval", args=(record_id,),
                         kwargs={"user": user, "clicked_at": clicked_at})

    def plan_fleet(self, *, account: str | None, region: str | None, user: str, channel: str) -> Job:
        """Discover and precheck every dedicated cluster in scope and post the readiness report. On the
        runbook queue with an hour's timeout: a plan over hundreds of clusters takes minutes."""
        return self._put(RUNBOOK_QUEUE, f"{_JOBS}.plan_fleet",
                         kwargs={"account": account, "region": region, "user": user, "channel": channel},
                         job_timeout=PLAN_TIMEOUT_S)

    def refresh_pickers(self, region: str) -> Job:
        """List the region's dedicated clusters and buckets into the modal's picker cache."""
        return self._put(INTERACTIVE_QUEUE, f"{_JOBS}.refresh_pickers", region)

    def run_migration(self, record_id: str) -> Job:
        """An approved migration: re-check, grant the RAM statement if allowed, call MigrateCluster once."""
        return self._put(RUNBOOK_QUEUE, f"{_JOBS}.run_migration", record_id)

    def follow_migration(self, record_id: str, *, delay_s: float = 0) -> Job:
        queue = self._queue(RUNBOOK_QUEUE)
        if delay_s > 0:
            return queue.enqueue_in(timedelta(seconds=delay_s), f"{_JOBS}.follow_migration", record_id)
        return queue.enqueue(f"{_JOBS}.follow_migration", record_id)

    def run_cleanup(self, record_id: str) -> Job:
        """An approved cleanup: delete the old master nodes (and release their ECS instances if asked)."""
        return self._put(RUNBOOK_QUEUE, f"{_JOBS}.run_cleanup", record_id)

    def deliver_notifications(self, record_id: str, *, delay_s: float = 0) -> Job:
        """Post a record's pending thread replies in order and re-render its message from the record."""
        queue = self._queue(NOTIFY_QUEUE)
        if delay_s > 0:
            return queue.enqueue_in(timedelta(seconds=delay_s), f"{_JOBS}.deliver_notifications", record_id)
        return queue.enqueue(f"{_JOBS}.deliver_notifications", record_id)

    def publish_home(self, user: str, *, delay_s: float = 0, trailing: bool = False) -> Job:
        """Publish `user`'s App Home tab (workers.home: at most once per interval each). `trailing`: the
        publish scheduled at the end of an interval that changes fell into."""
        queue = self._queue(NOTIFY_QUEUE)
        kwargs = {"user": user, "trailing": trailing}
        if delay_s > 0:
            return queue.enqueue_in(timedelta(seconds=delay_s), JobName.PUBLISH_HOME.path, kwargs=kwargs)
        return self._put(NOTIFY_QUEUE, JobName.PUBLISH_HOME.path, kwargs=kwargs)

    def refresh_homes(self, *, delay_s: float = 0) -> Job:
        """Republish the App Home tab of everyone who opened it lately (something it shows changed)."""
        queue = self._queue(NOTIFY_QUEUE)
        if delay_s > 0:
            return queue.enqueue_in(timedelta(seconds=delay_s), JobName.REFRESH_HOMES.path)
        return self._put(NOTIFY_QUEUE, JobName.REFRESH_HOMES.path)
