"""Asking for and deciding a request: open, approve, reject, cancel — authorised here, then carried out by
`workers.lifecycle` (written to Redis first, audited once, then shown).

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
from typing import Any

from bot.authz import Click, Policy, Refusal, RefusalCode, click_belongs, may_cancel, may_decide, may_request
from bot.limits import REASON_MAX_LENGTH
from bot.metrics import REFUSALS
from workers.domain.decidability import why_not_decidable
from workers.domain.records import IllegalTransition, Record
from workers.domain.workflows import CLEANUP, MIGRATION, Workflow
from workers.lifecycle import Lifecycle
from workers.store import RecordStore, Reply
from workers.ui import ids, private_answers, thread_replies

logger = logging.getLogger(__name__)

ApproverMembers = Callable[[], frozenset[str]]
"""Everyone in the approver user groups, asked of Slack afresh by bot.usergroups (decisions only)."""

RequesterMembers = Callable[[], frozenset[str]]
"""Everyone in the requester user groups (a cached lookup: asking is not deciding)."""


@dataclass(frozen=True)
class Outcome:
    """What happened: the record as it is now (None when there is none) and a refusal, if refused;
    `request_id` names a request just asked for (its record is written later, by the worker)."""

    record: Record | None
    refusal: Refusal | None = None
    request_id: str | None = None

    @property
    def allowed(self) -> bool:
        return self.refusal is None


class Approvals:
    def __init__(
        self,
        *,
        store: RecordStore,
        lifecycle: Lifecycle,
        policy: Policy,
        approver_members: ApproverMembers,
        requester_members: RequesterMembers = frozenset,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.lifecycle = lifecycle
        self.policy = policy
        self.approver_members = approver_members
        self.requester_members = requester_members
        self.clock = clock

    def request(
        self, workflow: Workflow, *, user: str, channel: str, cluster_ref: str, command: str,
        response_url: str | None, **job_details: Any,
    ) -> Outcome:
        """Open a request of `workflow` from the slash command: its id, or the refusal (audited)."""
        refusal = may_request(self.policy, user=user, channel=channel, requester_group_members=self.requester_members())
        if refusal is not None:
            return self.refuse(None, refusal, user=user, action="request", cluster=cluster_ref, command=command)
        request_id = self.lifecycle.request(workflow, actor=user, channel=channel, cluster_ref=cluster_ref,
                                            command=command, response_url=response_url, **job_details)
        return Outcome(None, request_id=request_id)

    def request_cleanup_of(
        self, migration_id: str, *, user: str, channel: str, click: Click, response_url: str | None
    ) -> Outcome:
        """"Clean up old masters" on a finished migration: the same request as `/ackmigrate cleanup CLUSTER`,
        for the click's migration, once the click is shown to be on that migration's thread."""
        record = self.store.find(migration_id)
        if record is None or record.workflow is not MIGRATION or record.state is not MIGRATION.succeeded:
            text = private_answers.request_gone() if record is None else private_answers.not_a_finished_migration(record)
            return self.refuse(record, Refusal(RefusalCode.NOT_CLEANABLE, text), user=user, action=ids.REQUEST_CLEANUP,
                               record_id=migration_id)
        thread = frozenset(ts for _, _, ts in self.store.posted_replies(record.id))  # the button is a reply
        refusal = click_belongs(self.policy, click=click, record=record, thread_messages=thread) or may_request(
            self.policy, user=user, channel=channel, requester_group_members=self.requester_members())
        if refusal is not None:
            return self.refuse(record, refusal, user=user, action=ids.REQUEST_CLEANUP)
        request_id = self.lifecycle.request(
            CLEANUP, actor=user, channel=channel, cluster_ref=record.cluster_id, cluster_id=record.cluster_id,
            cluster_name=record.cluster_name, command=CLEANUP.command, response_url=response_url,
            parent_id=record.id, release_ecs=False)
        return Outcome(record, request_id=request_id)

    def check_decidable(
        self, record_id: str, *, user: str, workflow: Workflow, approving: bool, click: Click
    ) -> Outcome:
        """May `user` decide this request right now? (Reject asks before it opens its reason dialog.)"""
        now = self.clock()
        record = self.store.find(record_id)
        refusal = self._refusal(record, user=user, workflow=workflow, approving=approving, now=now, click=click)
        if refusal is None:
            return Outcome(record)
        action = "approve" if approving else "reject"
        return self.refuse(record, refusal, user=user, action=action, record_id=record_id)

    def approve(self, record_id: str, *, user: str, workflow: Workflow, click: Click) -> Outcome:
        """Authorise the click and hand it to a worker to re-check and count (`workers.approving`)."""
        now = self.clock()
        checked = self._authorised(record_id, user=user, workflow=workflow, approving=True, now=now, click=click)
        if checked.record is not None and checked.allowed:
            self.lifecycle.queues.count_approval(checked.record.id, user=user, clicked_at=now)
        return checked

    def reject(self, record_id: str, *, user: str, workflow: Workflow, reason: str | None) -> Outcome:
        """One rejection ends a request, however many approvals it already has.

        The reason's length is checked here too, not only in the dialog's listener: whoever calls this,
        nothing longer than REASON_MAX_LENGTH is stored or posted."""
        if reason is not None and len(reason) > REASON_MAX_LENGTH:
            raise ValueError(f"a rejection's reason is at most {REASON_MAX_LENGTH} characters (got {len(reason)})")
        now = self.clock()
        checked = self._authorised(record_id, user=user, workflow=workflow, approving=False, now=now, click=None)
        record = checked.record
        if record is None or not checked.allowed:
            return checked
        said = thread_replies.rejected(user, reason)
        try:
            saved = self.lifecycle.reject(record.id, user=user, reason=reason, reply=Reply(said))
        except IllegalTransition:
            return self._lost_race(record.id, user=user, action="reject", now=now)
        return Outcome(saved)

    def cancel(self, cluster_ref: str, *, user: str) -> Outcome:
        """Withdraw the cluster's undecided request (the requester or an approver)."""
        now = self.clock()
        candidates = [r for r in self.store.for_cluster(cluster_ref) if r.workflow.may_cancel(r.state)]
        if not candidates:
            active = next((r for r in self.store.for_cluster(cluster_ref) if not r.terminal), None)
            refusal = Refusal(RefusalCode.NOTHING_TO_CANCEL, private_answers.nothing_to_cancel(cluster_ref, active))
            return self.refuse(active, refusal, user=user, action="cancel", cluster=cluster_ref)
        record = candidates[0]
        not_allowed = may_cancel(self.policy, user=user, record=record, approver_group_members=self._members())
        if not_allowed is not None:
            return self.refuse(record, not_allowed, user=user, action="cancel", cluster=cluster_ref)
        try:
            saved = self.lifecycle.cancel(record.id, user=user,
                                          reply=Reply(thread_replies.cancelled(user)))
        except IllegalTransition:
            return self._lost_race(record.id, user=user, action="cancel", now=now)
        return Outcome(saved)

    def refuse(
        self, record: Record | None, refusal: Refusal, *, user: str, action: str, record_id: str | None = None,
        cluster: str | None = None, command: str | None = None,
    ) -> Outcome:
        """The one way the bot refuses: the refusal counted (metrics) and audited once, nothing changed;
        the caller shows `refusal.text` to the person."""
        REFUSALS.labels(str(refusal.code)).inc()
        self.lifecycle.refused(actor=user, action=action, reason=str(refusal.code), record=record,
                               record_id=record_id, cluster=cluster, command=command)
        return Outcome(record, refusal)

    # -- shared ---------------------------------------------------------------------------------------

    def _authorised(
        self, record_id: str, *, user: str, workflow: Workflow, approving: bool, now: float, click: Click | None
    ) -> Outcome:
        """The record, if `user` may decide it now; else the refusal, audited (a lapsed request expires, as
        the reconciler's sweep would have: the same decision, the same reply, the message redrawn)."""
        record = self.store.find(record_id)
        refusal = self._refusal(record, user=user, workflow=workflow, approving=approving, now=now, click=click)
        if refusal is None:
            return Outcome(record)
        if refusal.code is RefusalCode.EXPIRED:
            self.lifecycle.expire_due(now)
        action = "approve" if approving else "reject"
        return self.refuse(record, refusal, user=user, action=action, record_id=record_id)

    def _refusal(
        self, record: Record | None, *, user: str, workflow: Workflow, approving: bool, now: float,
        click: Click | None,
    ) -> Refusal | None:
        """None when `user` may decide now; `click` is None only for the reject dialog's submission,
        whose dialog was opened from a click that passed this check."""
        if record is None:
            return Refusal(RefusalCode.NOT_FOUND, private_answers.request_gone())
        if click is not None:
            foreign = click_belongs(self.policy, click=click, record=record)
            if foreign is not None:
                return foreign
        if record.workflow is not workflow:
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
        return self.refuse(current, refusal, user=user, action=action, record_id=record_id)

    def _members(self) -> frozenset[str]:
        return self.approver_members() if self.policy.approvers.groups else frozenset()
