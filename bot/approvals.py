"""Deciding a request: approve, reject, cancel — authorised, written to Redis first, audited, then queued.

Who may decide is asked of Slack at the moment of the decision (approver groups are never served from a
cache here), and a click counts only on the request's own message in its own, allowed channel.

Reject and cancel are taken here: the record's transition (checked and atomic in the store) happens
before anything is shown. An approval is authorised here and *counted* by a worker
(`workers.approving`), because it first re-runs the prechecks, which waits on the cloud: of two
approvers racing for the last place exactly one completes the request and exactly one `run_migration`
is queued. Every refusal goes to the audit log. Nothing here talks to Slack: callers show
`Outcome.refusal.text` to the person.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.authz import Click, Policy, Refusal, RefusalCode, click_belongs, may_cancel, may_decide
from bot.limits import REASON_MAX_LENGTH
from workers.audit import AuditLog
from workers.domain.decidability import why_not_decidable
from workers.domain.records import IllegalTransition, Kind, Record, State
from workers.queues import Queues
from workers.store import RecordStore, Reply
from workers.ui import private_answers, thread_replies

logger = logging.getLogger(__name__)

ApproverMembers = Callable[[], frozenset[str]]
"""Everyone in the approver user groups, asked of Slack afresh by bot.usergroups (decisions only)."""


@dataclass(frozen=True)
class Outcome:
    """What happened: the record as it is now (None when there is none) and a refusal, if refused."""

    record: Record | None
    refusal: Refusal | None = None

    @property
    def allowed(self) -> bool:
        return self.refusal is None


class Approvals:
    def __init__(
        self,
        *,
        store: RecordStore,
        audit: AuditLog,
        queues: Queues,
        policy: Policy,
        approver_members: ApproverMembers,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.audit = audit
        self.queues = queues
        self.policy = policy
        self.approver_members = approver_members
        self.clock = clock

    def check_decidable(
        self, record_id: str, *, user: str, kind: Kind, approving: bool, click: Click
    ) -> Outcome:
        """May `user` decide this request right now? (Reject asks before it opens its reason dialog.)"""
        now = self.clock()
        record = self.store.find(record_id)
        refusal = self._refusal(record, user=user, kind=kind, approving=approving, now=now, click=click)
        if refusal is None:
            return Outcome(record)
        action = "approve" if approving else "reject"
        return self._refused(record, user=user, action=action, refusal=refusal, record_id=record_id)

    def approve(self, record_id: str, *, user: str, kind: Kind, click: Click) -> Outcome:
        """Authorise the click and hand it to a worker to re-check and count (`workers.approving`)."""
        now = self.clock()
        checked = self._authorised(record_id, user=user, kind=kind, approving=True, now=now, click=click)
        if checked.record is not None and checked.allowed:
            self.queues.count_approval(checked.record.id, user=user, clicked_at=now)
        return checked

    def reject(self, record_id: str, *, user: str, kind: Kind, reason: str | None) -> Outcome:
        """One rejection ends a request, however many approvals it already has.

        The reason's length is checked here too, not only in the dialog's listener: whoever calls this,
        nothing longer than REASON_MAX_LENGTH is stored or posted."""
        if reason is not None and len(reason) > REASON_MAX_LENGTH:
            raise ValueError(f"a rejection's reason is at most {REASON_MAX_LENGTH} characters (got {len(reason)})")
        now = self.clock()
        checked = self._authorised(record_id, user=user, kind=kind, approving=False, now=now, click=None)
        record = checked.record
        if record is None or not checked.allowed:
            return checked
        said = thread_replies.rejected(user, reason)
        try:
            saved = self.store.transition(record.id, State.REJECTED, decided_by=user, decided_at=now,
                                          reason=reason, reply=Reply(said))
        except IllegalTransition:
            return self._lost_race(record.id, user=user, action="reject", now=now)
        self.audit.append("rejected", actor=user, record_id=saved.id, cluster_id=saved.cluster_id,
                          cluster_name=saved.cluster_name, kind=str(saved.kind), reason=reason)
        self.queues.deliver_notifications(saved.id)
        return Outcome(saved)

    def cancel(self, cluster_ref: str, *, user: str) -> Outcome:
        """Withdraw the cluster's undecided request (the requester or an approver)."""
        now = self.clock()
        candidates = [r for r in self.store.for_cluster(cluster_ref) if r.workflow.may_cancel(r.state)]
        if not candidates:
            active = next((r for r in self.store.for_cluster(cluster_ref) if not r.terminal), None)
            refusal = Refusal(RefusalCode.NOTHING_TO_CANCEL, private_answers.nothing_to_cancel(cluster_ref, active))
            return self._refused(active, user=user, action="cancel", refusal=refusal, cluster=cluster_ref)
        record = candidates[0]
        not_allowed = may_cancel(self.policy, user=user, record=record, approver_group_members=self._members())
        if not_allowed is not None:
            return self._refused(record, user=user, action="cancel", refusal=not_allowed, cluster=cluster_ref)
        try:
            saved = self.store.transition(
                record.id, State.CANCELLED, decided_by=user, decided_at=now,
                reply=Reply(thread_replies.cancelled(user)),
            )
        except IllegalTransition:
            return self._lost_race(record.id, user=user, action="cancel", now=now)
        self.audit.append("cancelled", actor=user, record_id=saved.id, cluster_id=saved.cluster_id,
                          cluster_name=saved.cluster_name, kind=str(saved.kind))
        self.queues.deliver_notifications(saved.id)
        return Outcome(saved)

    # -- shared ---------------------------------------------------------------------------------------

    def _authorised(
        self, record_id: str, *, user: str, kind: Kind, approving: bool, now: float, click: Click | None
    ) -> Outcome:
        """The record, if `user` may decide it now; else the refusal, audited (a lapsed request expires)."""
        record = self.store.find(record_id)
        refusal = self._refusal(record, user=user, kind=kind, approving=approving, now=now, click=click)
        if refusal is None:
            return Outcome(record)
        if refusal.code is RefusalCode.EXPIRED:
            self._expire_now(now)
        action = "approve" if approving else "reject"
        return self._refused(record, user=user, action=action, refusal=refusal, record_id=record_id)

    def _refusal(
        self, record: Record | None, *, user: str, kind: Kind, approving: bool, now: float, click: Click | None
    ) -> Refusal | None:
        """None when `user` may decide now; `click` is None only for the reject dialog's submission,
        whose dialog was opened from a click that passed this check."""
        if record is None:
            return Refusal(RefusalCode.NOT_FOUND, private_answers.request_gone())
        if click is not None:
            foreign = click_belongs(self.policy, click=click, record=record)
            if foreign is not None:
                return foreign
        if record.kind is not kind:
            return Refusal(RefusalCode.WRONG_KIND, private_answers.wrong_kind(record))
        why_not = why_not_decidable(record, now)
        if why_not is not None:
            code = RefusalCode.EXPIRED if why_not.expired else RefusalCode.ALREADY_DECIDED
            return Refusal(code, private_answers.not_decidable(record, why_not))
        if approving and user in record.approvers:
            return Refusal(RefusalCode.ALREADY_APPROVED, private_answers.already_approved(record))
        return may_decide(self.policy, user=user, record=record, approver_group_members=self._members(),
                          approving=approving)

    def _lost_race(self, record_id: str, *, user: str, action: str, now: float) -> Outcome:
        """Someone else changed the request between our read and our write: say who, change nothing."""
        current = self.store.find(record_id)
        why_not = why_not_decidable(current, now) if current is not None else None
        text = (private_answers.not_decidable(current, why_not) if current is not None and why_not is not None
                else private_answers.request_gone())
        refusal = Refusal(RefusalCode.ALREADY_DECIDED, text)
        return self._refused(current, user=user, action=action, refusal=refusal, record_id=record_id)

    def _refused(
        self,
        record: Record | None,
        *,
        user: str,
        action: str,
        refusal: Refusal,
        record_id: str | None = None,
        cluster: str | None = None,
    ) -> Outcome:
        self.audit.append(
            "refused", actor=user, outcome="refused",
            record_id=record.id if record is not None else record_id,
            cluster_id=record.cluster_id if record is not None else None,
            cluster_name=record.cluster_name if record is not None else cluster,
            action=action, reason=str(refusal.code),
        )
        return Outcome(record, refusal)

    def _expire_now(self, now: float) -> None:
        """A click found a lapsed request before the reconciler did: expire it so its buttons go."""
        for expired in self.store.expire_due(now, reply=lambda _: Reply(thread_replies.expired())):
            self.audit.append("expired", record_id=expired.id, cluster_id=expired.cluster_id,
                              cluster_name=expired.cluster_name)
            self.queues.deliver_notifications(expired.id)

    def _members(self) -> frozenset[str]:
        return self.approver_members() if self.policy.approvers.groups else frozenset()
