"""A request's life for every workflow: create, block, decide (approve, reject), cancel, expire, refuse.

Each event is one record write (checked against the record's workflow in the store) followed by exactly
one audit entry with the request id, and the message shown afresh when there is one to show. The bot,
the jobs and the reconciler all go through here, so an event cannot be audited twice, or not at all,
depending on who caused it; the tests read the audit stream to hold that.

What is *said* about an event belongs to the UI: callers pass the thread reply to queue with the write
(`reply`), and refusals come back as codes for the renderer to word.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from workers.audit import AuditLog
from workers.checks.model import PrecheckReport
from workers.context import Context
from workers.domain.records import Record, State
from workers.domain.workflows import Workflow
from workers.queues import Queues
from workers.store import ClusterBusy, RecordStore, Reply
from workers.ui import reasons, thread_replies


class Lifecycle:
    """The events of every request, over the store (the truth), the audit log and the queues."""

    def __init__(
        self, *, store: RecordStore, audit: AuditLog, queues: Queues, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.audit = audit
        self.queues = queues
        self.clock = clock

    @classmethod
    def of(cls, ctx: Context) -> Lifecycle:
        return cls(store=ctx.store, audit=ctx.audit, queues=ctx.queues)

    # -- create -------------------------------------------------------------------------------------------

    def request(
        self, workflow: Workflow, *, actor: str, channel: str, cluster_ref: str, command: str,
        response_url: str | None, cluster_id: str | None = None, cluster_name: str | None = None,
        parent_id: str | None = None, **job_details: Any,
    ) -> str:
        """Queue the workflow's open job under a new request id and audit the `command` that asked for it,
        in one Redis round trip (the slash command's answer waits on it). Returns the request id.

        Authorisation is the caller's: this is what happens once someone may ask."""
        record_id = workflow.new_record_id()
        if parent_id is not None:
            job_details["parent_id"] = parent_id
        with self.queues.batched() as (queues, pipeline):
            queues.open_request(workflow.open_job, cluster_ref=cluster_ref, requester=actor, channel=channel,
                                response_url=response_url, record_id=record_id, **job_details)
            self.audit.append("command", actor=actor, record_id=record_id, cluster_id=cluster_id,
                              cluster_name=cluster_name or cluster_ref, channel=channel, command=command,
                              parent_id=parent_id, pipeline=pipeline)
        return record_id

    def create(self, record: Record, *, actor: str) -> Record:
        """Save a new request and take its cluster's lock: `requested`, or `refused` and ClusterBusy raised."""
        try:
            saved = self.store.create(record)
        except ClusterBusy as busy:
            self.refused(actor=actor, action="request", reason="cluster_busy", record=record,
                         busy_with=busy.existing.id)
            raise
        self.audit.append("requested", actor=actor, record_id=saved.id, cluster_id=saved.cluster_id,
                          cluster_name=saved.cluster_name, kind=str(saved.kind), bucket=saved.bucket,
                          approvals_required=saved.approvals_required)
        return saved

    def block(
        self, record_id: str, *, reason: str, precheck: PrecheckReport, reply: Reply | None = None,
        checks: str | None = None, changes: str | None = None,
    ) -> Record:
        """A blocking prerequisite failed (at opening or at an approval's re-check): nothing to approve.

        Raises IllegalTransition when the request was decided meanwhile (that decision stands)."""
        saved = self.store.transition(record_id, State.BLOCKED, precheck=precheck, approvals=[], reason=reason,
                                      reply=reply)
        self.audit.append("blocked", record_id=saved.id, cluster_id=saved.cluster_id,
                          cluster_name=saved.cluster_name, kind=str(saved.kind), checks=checks, changes=changes)
        return saved

    def withdraw_unposted(self, record_id: str, *, code: str) -> Record | None:
        """Slack refused the request message (the bot is not in the channel): the request is cancelled, as
        nobody could ever approve it. None when it had ended already. Nothing to redraw: there is no message."""
        record = self.store.get(record_id)
        if record.terminal:
            return None
        saved = self.store.transition(record_id, State.CANCELLED, reason=reasons.not_posted(code))
        self.audit.append("cancelled", record_id=saved.id, cluster_id=saved.cluster_id,
                          cluster_name=saved.cluster_name, kind=str(saved.kind), reason=f"not posted: {code}")
        return saved

    # -- decide -------------------------------------------------------------------------------------------

    def approve(self, record_id: str, *, user: str, at: float, reply: Callable[[Record], Reply]) -> Record:
        """Count `user`'s approval; the one that completes the request queues its workflow's start job.

        Raises AlreadyApproved or IllegalTransition (nothing written, nothing audited: the caller refuses)."""
        saved = self.store.approve(record_id, user=user, at=at, reply=reply)
        self.audit.append("approved", actor=user, record_id=saved.id, cluster_id=saved.cluster_id,
                          cluster_name=saved.cluster_name, kind=str(saved.kind),
                          approvals=len(saved.approvals), required=saved.approvals_required)
        if saved.state is State.APPROVED:
            self.queues.enqueue(saved.workflow.start_job, saved.id)
        self._show(saved.id)
        return saved

    def reject(self, record_id: str, *, user: str, reason: str | None, reply: Reply) -> Record:
        """One rejection ends a request. Raises IllegalTransition when it was decided meanwhile."""
        saved = self.store.transition(record_id, State.REJECTED, decided_by=user, decided_at=self.clock(),
                                      reason=reason, reply=reply)
        self.audit.append("rejected", actor=user, record_id=saved.id, cluster_id=saved.cluster_id,
                          cluster_name=saved.cluster_name, kind=str(saved.kind), reason=reason)
        self._show(saved.id)
        return saved

    def cancel(self, record_id: str, *, user: str, reply: Reply) -> Record:
        """Withdraw an undecided request. Raises IllegalTransition when it moved on meanwhile."""
        saved = self.store.transition(record_id, State.CANCELLED, decided_by=user, decided_at=self.clock(),
                                      reply=reply)
        self.audit.append("cancelled", actor=user, record_id=saved.id, cluster_id=saved.cluster_id,
                          cluster_name=saved.cluster_name, kind=str(saved.kind))
        self._show(saved.id)
        return saved

    def expire_due(self, now: float | None = None) -> list[Record]:
        """Expire every request whose approval lapsed, each by exactly one caller (the store's CAS), with
        the one expiry reply, one `expired` entry, and its message redrawn without buttons."""
        moment = self.clock() if now is None else now
        expired = self.store.expire_due(moment, reply=lambda _: Reply(thread_replies.expired()))
        for record in expired:
            self.audit.append("expired", record_id=record.id, cluster_id=record.cluster_id,
                              cluster_name=record.cluster_name, kind=str(record.kind))
            self._show(record.id)
        return expired

    # -- refuse -------------------------------------------------------------------------------------------

    def refused(
        self, *, actor: str, action: str, reason: str, record: Record | None = None, record_id: str | None = None,
        cluster: str | None = None, command: str | None = None, busy_with: str | None = None,
    ) -> None:
        """Someone asked for something they may not have, or too late: one `refused` entry, nothing changed.

        `reason` is the refusal's code (the renderer words it); `record` when there is one, else what was
        named (`record_id`, `cluster`); `command` the slash command refused, `busy_with` the request that
        holds the cluster."""
        self.audit.append(
            "refused", actor=actor, outcome="refused",
            record_id=record.id if record is not None else record_id,
            cluster_id=record.cluster_id if record is not None else None,
            cluster_name=record.cluster_name if record is not None else cluster,
            action=action, reason=reason, command=command, busy_with=busy_with,
        )

    # -- show ---------------------------------------------------------------------------------------------

    def _show(self, record_id: str) -> None:
        """Mark the message stale and deliver soon: if the delivery job is lost, the reconciler's sweep
        finds the mark and redraws it (workers.notify.announce, without a job context)."""
        self.store.mark_message_dirty(record_id)
        self.queues.deliver_notifications(record_id)
