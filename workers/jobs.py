"""RQ entry points, by the dotted paths `workers.queues` names: thin wrappers over the runbook.

Arguments are plain ids and strings; each job builds nothing itself but asks the process's context for
its clients. The RQ job id doubles as the owner of the record's lease (workers.lease), so a job the
runbook scheduled is recognised as the rightful next owner and a stale duplicate is not.
"""

from __future__ import annotations

import uuid

from rq import get_current_job

from workers import cleanup, notify, reconciler, requests, runbook
from workers.context import context
from workers.poll_lag import note_poll_start


def open_migration_request(
    *, cluster_ref: str, bucket: str, requester: str, channel: str, response_url: str | None
) -> None:
    requests.open_migration_request(
        context(), cluster_ref=cluster_ref, bucket=bucket, requester=requester, channel=channel,
        response_url=response_url,
    )


def open_cleanup_request(
    *,
    cluster_ref: str,
    release_ecs: bool,
    requester: str,
    channel: str,
    response_url: str | None,
    parent_id: str | None = None,
) -> None:
    requests.open_cleanup_request(
        context(), cluster_ref=cluster_ref, release_ecs=release_ecs, requester=requester, channel=channel,
        response_url=response_url, parent_id=parent_id,
    )


def precheck_for_user(
    *, cluster_ref: str, bucket: str | None, user: str, channel: str, response_url: str | None
) -> None:
    requests.precheck_for_user(
        context(), cluster_ref=cluster_ref, bucket=bucket, user=user, channel=channel, response_url=response_url
    )


def list_clusters_for_user(*, user: str, channel: str, response_url: str | None) -> None:
    requests.list_clusters_for_user(context(), user=user, channel=channel, response_url=response_url)


def run_migration(record_id: str) -> None:
    runbook.run_migration(context(), record_id, owner=_job_id())


def follow_migration(record_id: str) -> None:
    job = get_current_job()
    if job is not None:
        note_poll_start(context().redis, job.meta)
    runbook.follow_migration(context(), record_id, owner=_job_id())


def run_cleanup(record_id: str) -> None:
    cleanup.run_cleanup(context(), record_id, owner=_job_id())


def deliver_notifications(record_id: str) -> None:
    notify.deliver(context(), record_id)


def reconcile() -> None:
    """One sweep: expire lapsed approvals, restart lost runbook jobs, redraw messages Slack missed."""
    reconciler.reconcile(context())


def _job_id() -> str:
    job = get_current_job()
    return job.id if job is not None else uuid.uuid4().hex
