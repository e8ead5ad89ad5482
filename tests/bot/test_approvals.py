"""Deciding requests against a real Redis: the record, the audit log and the queued jobs, no Slack.

An approval is authorised here and counted by a worker (tests/workers/test_approving.py), so these
tests see the `count_approval` job it queues; reject and cancel are decided here.
"""

from __future__ import annotations

import pytest
from redis import Redis
from rq import Queue

from bot.approvals import Approvals
from bot.authz import Click, Policy, RefusalCode
from tests.bot.records import awaiting_request
from workers.audit import AuditLog
from workers.domain.records import State
from workers.domain.workflows import MIGRATION
from workers.lifecycle import Lifecycle
from workers.queues import INTERACTIVE_QUEUE, NOTIFY_QUEUE, RUNBOOK_QUEUE, Queues
from workers.store import RecordStore, Reply

MESSAGE_TS = "1700000000.000100"
ON_THE_MESSAGE = Click(channel="C0PLATFORM", message_ts=MESSAGE_TS)


def _lifecycle(redis: Redis) -> Lifecycle:
    return Lifecycle(store=RecordStore(redis), audit=AuditLog(redis), queues=Queues(redis))


def _approvals(redis: Redis, *, two_person_rule: bool = True, members: frozenset[str] | None = None,
               channels: tuple[str, ...] = ()) -> Approvals:
    return Approvals(
        store=RecordStore(redis), lifecycle=_lifecycle(redis),
        policy=Policy.from_lists(approvers=["S0PLATFORM"], two_person_rule=two_person_rule, channels=channels),
        approver_members=lambda: frozenset({"U0BOB", "U0CAROL"}) if members is None else members,
    )


def _jobs(redis: Redis, queue: str) -> list[tuple[str | None, tuple[object, ...]]]:
    return [(job.func_name, tuple(job.args)) for job in Queue(queue, connection=redis).jobs]


def test_approval_by_an_approver_is_handed_to_a_worker_to_recheck_and_count(redis_client: Redis) -> None:
    record = awaiting_request(redis_client, message_ts=MESSAGE_TS)
    outcome = _approvals(redis_client).approve(record.id, user="U0BOB", workflow=MIGRATION, click=ON_THE_MESSAGE)
    assert outcome.allowed
    assert RecordStore(redis_client).get(record.id).state is State.AWAITING_APPROVAL, "counted by the worker"
    ((name, args),) = _jobs(redis_client, INTERACTIVE_QUEUE)
    assert (name, args) == ("workers.jobs.count_approval", (record.id,))
    assert _jobs(redis_client, RUNBOOK_QUEUE) == []


@pytest.mark.parametrize(
    ("user", "code"), [("U0ALICE", RefusalCode.NOT_APPROVER), ("U0BOB", RefusalCode.TWO_PERSON_RULE)]
)
def test_refused_approval_changes_nothing_but_is_audited(redis_client: Redis, user: str, code: RefusalCode) -> None:
    record = awaiting_request(redis_client, requester="U0BOB", message_ts=MESSAGE_TS)
    outcome = _approvals(redis_client).approve(record.id, user=user, workflow=MIGRATION, click=ON_THE_MESSAGE)
    assert outcome.refusal is not None and outcome.refusal.code is code
    assert RecordStore(redis_client).get(record.id).state is State.AWAITING_APPROVAL
    assert _jobs(redis_client, INTERACTIVE_QUEUE) == []
    entry = AuditLog(redis_client).read()[-1]
    assert (entry.event, entry.actor, entry.outcome, entry.details["reason"]) == ("refused", user, "refused", code)
    assert entry.record_id == record.id


def test_an_approver_removed_from_the_group_is_refused_at_once(redis_client: Redis) -> None:
    record = awaiting_request(redis_client, message_ts=MESSAGE_TS)
    members = {"U0BOB"}
    approvals = Approvals(
        store=RecordStore(redis_client), lifecycle=_lifecycle(redis_client),
        policy=Policy.from_lists(approvers=["S0PLATFORM"]), approver_members=lambda: frozenset(members),
    )
    members.clear()  # Bob leaves the group; the next decision asks again
    outcome = approvals.approve(record.id, user="U0BOB", workflow=MIGRATION, click=ON_THE_MESSAGE)
    assert outcome.refusal is not None and outcome.refusal.code is RefusalCode.NOT_APPROVER


@pytest.mark.parametrize(
    "click",
    [
        Click(channel="C0ELSEWHERE", message_ts=MESSAGE_TS),
        Click(channel="C0PLATFORM", message_ts="1700000000.999999"),
        Click(channel="C0PLATFORM", message_ts=""),
    ],
    ids=["another channel", "another message", "no message"],
)
def test_a_click_not_on_the_request_message_is_refused_and_audited(redis_client: Redis, click: Click) -> None:
    record = awaiting_request(redis_client, message_ts=MESSAGE_TS)
    outcome = _approvals(redis_client).approve(record.id, user="U0BOB", workflow=MIGRATION, click=click)
    assert outcome.refusal is not None and outcome.refusal.code is RefusalCode.FOREIGN_CLICK
    assert _jobs(redis_client, INTERACTIVE_QUEUE) == []
    entry = AuditLog(redis_client).read()[-1]
    assert (entry.event, entry.record_id, entry.details["reason"]) == ("refused", record.id, "foreign_click")


def test_a_click_in_a_channel_no_longer_allowed_is_refused(redis_client: Redis) -> None:
    record = awaiting_request(redis_client, message_ts=MESSAGE_TS)
    outcome = _approvals(redis_client, channels=("C0OTHER",)).approve(
        record.id, user="U0BOB", workflow=MIGRATION, click=ON_THE_MESSAGE)
    assert outcome.refusal is not None and outcome.refusal.code is RefusalCode.FOREIGN_CLICK


def test_an_approver_who_already_approved_is_told_so(redis_client: Redis) -> None:
    record = awaiting_request(redis_client, message_ts=MESSAGE_TS, approvals_required=2)
    RecordStore(redis_client).approve(record.id, user="U0BOB", at=1.0, reply=lambda r: Reply("counted"))
    outcome = _approvals(redis_client).approve(record.id, user="U0BOB", workflow=MIGRATION, click=ON_THE_MESSAGE)
    assert outcome.refusal is not None and outcome.refusal.code is RefusalCode.ALREADY_APPROVED
    assert "1 of 2" in outcome.refusal.text


def test_click_on_a_lapsed_request_is_refused_and_expires_it(redis_client: Redis) -> None:
    record = awaiting_request(redis_client, expires_in_s=-1, message_ts=MESSAGE_TS)
    outcome = _approvals(redis_client).approve(record.id, user="U0BOB", workflow=MIGRATION, click=ON_THE_MESSAGE)
    assert outcome.refusal is not None and outcome.refusal.code is RefusalCode.EXPIRED
    assert "expired" in outcome.refusal.text
    assert RecordStore(redis_client).get(record.id).state is State.EXPIRED
    assert _jobs(redis_client, RUNBOOK_QUEUE) == []
    assert _jobs(redis_client, NOTIFY_QUEUE) == [("workers.jobs.deliver_notifications", (record.id,))]


def test_reject_records_who_and_why_with_the_reason_escaped(redis_client: Redis) -> None:
    record = awaiting_request(redis_client)
    outcome = _approvals(redis_client).reject(record.id, user="U0BOB", workflow=MIGRATION, reason="<!channel> not now")
    assert outcome.allowed
    saved = RecordStore(redis_client).get(record.id)
    assert (saved.state, saved.decided_by) == (State.REJECTED, "U0BOB")
    assert [r.text for _, r in RecordStore(redis_client).pending_replies(record.id)] == [
        ":x: <@U0BOB> rejected: &lt;!channel&gt; not now"
    ]
    assert _jobs(redis_client, RUNBOOK_QUEUE) == []


def test_cancel_by_the_requester_withdraws_the_request(redis_client: Redis) -> None:
    record = awaiting_request(redis_client)
    outcome = _approvals(redis_client).cancel("prod-hz-1", user="U0ALICE")
    assert outcome.allowed
    assert RecordStore(redis_client).get(record.id).state is State.CANCELLED
    assert [e.event for e in AuditLog(redis_client).read()] == ["cancelled"]


def test_cancel_by_a_bystander_is_refused(redis_client: Redis) -> None:
    record = awaiting_request(redis_client)
    outcome = _approvals(redis_client).cancel("prod-hz-1", user="U0DAVE")
    assert outcome.refusal is not None and outcome.refusal.code is RefusalCode.NOT_CANCELLER
    assert RecordStore(redis_client).get(record.id).state is State.AWAITING_APPROVAL


def test_cancel_after_approval_is_refused(redis_client: Redis) -> None:
    record = awaiting_request(redis_client)
    RecordStore(redis_client).approve(record.id, user="U0BOB", at=1.0, reply=lambda r: Reply("approved"))
    outcome = _approvals(redis_client).cancel("prod-hz-1", user="U0ALICE")
    assert outcome.refusal is not None and outcome.refusal.code is RefusalCode.NOTHING_TO_CANCEL
    assert "cannot be cancelled" in outcome.refusal.text


def test_a_reason_over_the_limit_is_never_stored_whoever_calls_reject(redis_client: Redis) -> None:
    record = awaiting_request(redis_client)
    with pytest.raises(ValueError, match="at most 500 characters"):
        _approvals(redis_client).reject(record.id, user="U0BOB", workflow=MIGRATION, reason="x" * 501)
    assert RecordStore(redis_client).get(record.id).state is State.AWAITING_APPROVAL
    assert RecordStore(redis_client).pending_replies(record.id) == []
