"""A request's life for every workflow: create, block, decide (approve, reject), cancel, expire, refuse.

Waves too (the third kind, `workers.domain.workflows.WAVE`): ask, create, approve, reject, pause, resume,
cancel, expire and finish a wave, and start and end each of its clusters — each one write in the
`WaveStore` (a compare-and-set) and exactly one audit entry carrying `wave=<name>`. Every wave event
queues the wave's tick (`Job.TICK_WAVE`), which starts what may start and redraws the wave's message,
so "something changed" has one consequence wherever it happened.

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
from workers.domain import wave_events
from workers.domain.records import Record, State
from workers.domain.wave_events import (
    WaveApproved,
    WaveCancelled,
    WaveDone,
    WaveEvent,
    WavePaused,
    WaveRejected,
    WaveResumed,
)
from workers.domain.waves import Blocker, ClusterState, PauseReason, Wave, WaveState
from workers.domain.workflows import WAVE, Workflow
from workers.queues import Queues
from workers.store import ClusterBusy, RecordStore, Reply
from workers.ui import reasons, thread_replies
from workers.wave_store import WaveStore


class Lifecycle:
    """The events of every request, over the store (the truth), the audit log and the queues."""

    def __init__(
        self, *, store: RecordStore, audit: AuditLog, queues: Queues, waves: WaveStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.audit = audit
        self.queues = queues
        self.waves = waves if waves is not None else WaveStore(store.redis)
        self.clock = clock

    @classmethod
    def of(cls, ctx: Context) -> Lifecycle:
        return cls(store=ctx.store, audit=ctx.audit, queues=ctx.queues, waves=ctx.waves)

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

    # -- waves --------------------------------------------------------------------------------------------

    def request_wave(self, *, actor: str, channel: str, name: str, command: str, **ask: Any) -> None:
        """Queue the wave's open job and audit the `command`, in one Redis round trip (inside the ack)."""
        with self.queues.batched() as (queues, pipeline):
            queues.enqueue(WAVE.open_job, requester=actor, channel=channel, name=name, **ask)
            self.audit.append("command", actor=actor, channel=channel, command=command, wave=name,
                              pipeline=pipeline)

    def create_wave(self, wave: Wave, *, actor: str) -> Wave:
        """Save a new wave (awaiting approval, expiring like a request). Raises WaveExists, unaudited:
        the caller refuses through `refused`."""
        saved = self.waves.create(wave)
        self.audit.append("requested", actor=actor, kind=WAVE.command, wave=saved.name, channel=saved.channel,
                          clusters=len(saved.pending), skipped=len(saved.clusters) - len(saved.pending),
                          approvals_required=saved.approvals_required)
        return saved

    def approve_wave(self, name: str, *, user: str, at: float, two_person_rule: bool = True) -> Wave:
        """Count an approval (M of N, the store's compare-and-set); the Nth approves the wave and its tick
        starts the first clusters. Raises WaveRefused (nothing written, nothing audited)."""
        saved = self.waves.approve(name, user=user, at=at, two_person_rule=two_person_rule)
        self.audit.append("approved", actor=user, kind=WAVE.command, wave=name, approvals=len(saved.approvals),
                          required=saved.approvals_required)
        approved = saved.state is WaveState.APPROVED
        self._tick(name, WaveApproved(by=user, version=saved.version) if approved else None)
        return saved

    def reject_wave(self, name: str, *, user: str, reason: str | None) -> Wave:
        saved = self.waves.reject(name, user=user, at=self.clock(), reason=reason)
        self.audit.append("rejected", actor=user, kind=WAVE.command, wave=name, reason=reason)
        self._tick(name, WaveRejected(by=user, reason=reason, version=saved.version))
        return saved

    def pause_wave(self, name: str, reason: PauseReason) -> Wave:
        """Paused by an operator (`reason.by`) or by the failure budget (no actor): nothing more starts."""
        saved = self.waves.pause(name, reason)
        self.audit.append("wave_paused", actor=reason.by, wave=name, cause=str(reason.cause),
                          failures=reason.failures, budget=reason.budget, failed=",".join(reason.failed) or None)
        self._tick(name, WavePaused(reason=reason, version=saved.version))
        return saved

    def resume_wave(self, name: str, *, user: str) -> Wave:
        saved = self.waves.resume(name)
        self.audit.append("wave_resumed", actor=user, wave=name, failures_forgiven=saved.failures_forgiven)
        self._tick(name, WaveResumed(by=user, version=saved.version))
        return saved

    def cancel_wave(self, name: str, *, user: str) -> Wave:
        """No more starts; clusters already running are followed to their end."""
        saved = self.waves.cancel(name, user=user)
        self.audit.append("cancelled", actor=user, kind=WAVE.command, wave=name, running=len(saved.running))
        self._tick(name, WaveCancelled(by=user, version=saved.version))
        return saved

    def expire_waves(self, now: float | None = None) -> list[Wave]:
        """Wave requests nobody decided in time, each expired by exactly one caller."""
        expired = self.waves.expire_due(self.clock() if now is None else now)
        for wave in expired:
            self.audit.append("expired", kind=WAVE.command, wave=wave.name)
            self._tick(wave.name)
        return expired

    def finish_wave(self, name: str) -> Wave:
        saved = self.waves.finish(name)
        counts = {state: len(saved.in_state(state))
                  for state in (ClusterState.SUCCEEDED, ClusterState.FAILED, ClusterState.SKIPPED)}
        self.audit.append("wave_finished", wave=name, succeeded=counts[ClusterState.SUCCEEDED],
                          failed=counts[ClusterState.FAILED], skipped=counts[ClusterState.SKIPPED])
        self._tick(name, WaveDone(succeeded=counts[ClusterState.SUCCEEDED], failed=counts[ClusterState.FAILED],
                                  skipped=counts[ClusterState.SKIPPED], version=saved.version))
        return saved

    def start_wave_cluster(self, record: Record, *, wave: Wave) -> Record:
        """A wave cluster's migration request, created approved (by the wave's approvers) under its
        cluster's lock: one `wave_cluster_started` entry. Raises ClusterBusy (refused, audited once)."""
        try:
            saved = self.store.create(record)
        except ClusterBusy as busy:
            self.refused(actor=wave.requester, action="wave_start", reason="cluster_busy", record=record,
                         busy_with=busy.existing.id)
            raise
        self.audit.append("wave_cluster_started", actor=wave.decided_by, record_id=saved.id,
                          cluster_id=saved.cluster_id, cluster_name=saved.cluster_name, wave=wave.name,
                          bucket=saved.bucket, approvers=",".join(wave.approvers))
        return saved

    def end_wave_cluster(
        self, name: str, cluster_id: str, outcome: ClusterState, *, record_id: str | None = None,
        blocker: Blocker | None = None, error: str | None = None,
    ) -> Wave:
        """A cluster ended (or was skipped): its slot is freed and the wave ticks at once. Raises
        WaveRefused when it was recorded already (so the entry is written once, by whoever got there first)."""
        saved = self.waves.record_end(name, cluster_id, outcome, blocker=blocker, error=error)
        self.audit.append("wave_cluster_ended", record_id=record_id, cluster_id=cluster_id, wave=name,
                          ended=str(outcome), check=blocker.check_id if blocker else None)
        self._tick(name)
        return saved

    def _tick(self, name: str, news: WaveEvent | None = None) -> None:
        """The wave's tick, carrying the event to tell its thread (wave_news, in the job) when there is one."""
        self.queues.tick_wave(name, news=None if news is None else wave_events.to_json(news))

    # -- show ---------------------------------------------------------------------------------------------

    def _show(self, record_id: str) -> None:
        """Mark the message stale and deliver soon: if the delivery job is lost, the reconciler's sweep
        finds the mark and redraws it (workers.notify.announce, without a job context). It queues a delivery
        whatever notify's one-queued-delivery mark says: a decision (approve, reject, cancel, expiry) is
        once per request, so it adds at most one job, and it is shown without waiting for the mark to lapse."""
        self.store.mark_message_dirty(record_id)
        self.queues.deliver_notifications(record_id)
