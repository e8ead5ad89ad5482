"""Deciding requests against a real Redis: the record, the audit log and the queued jobs, no Slack."""

from __future__ import annotations

import threading

import pytest
from redis import Redis
from rq import Queue

from bot.approvals import Approvals
from bot.authz import Policy, RefusalCode
from tests.bot.records import awaiting_request
from workers.audit import AuditLog
from workers.queues import NOTIFY_QUEUE, RUNBOOK_QUEUE, Queues
from workers.records import Kind, State
from workers.store import RecordStore


def _approvals(redis: Redis, *, two_person_rule: bool = True) -> Approvals:
    return Approvals(
        store=RecordStore(redis), audit=AuditLog(redis), queues=Queues(redis),
        policy=Policy.from_lists(approvers=["S0PLATFORM"], two_person_rule=two_person_rule),
        approver_members=lambda: frozenset({"U0BOB", "U0CAROL"}),
    )


def _jobs(redis: Redis, queue: str) -> list[tuple[str | None, tuple[object, ...]]]:
    return [(job.func_name, tuple(job.args)) for job in Queue(queue, connection=redis).jobs]


def test_approval_by_an_approver_is_saved_audited_and_queues_the_migration(redis_client: Redis) -> None:
    record = awaiting_request(redis_client)
    outcome = _approvals(redis_client).approve(record.id, user="U0BOB", kind=Kind.MIGRATION)
    assert outcome.allowed
    saved = RecordStore(redis_client).get(record.id)
    assert (saved.state, saved.decided_by) == (State.APPROVED, "U0BOB")
    assert _jobs(redis_client, RUNBOOK_QUEUE) == [("workers.jobs.run_migration", (record.id,))]
    assert _jobs(redis_client, NOTIFY_QUEUE) == [("workers.jobs.deliver_notifications", (record.id,))]
    assert [(e.event, e.actor) for e in AuditLog(redis_client).read()] == [("approved", "U0BOB")]
    assert [reply.text for _, reply in RecordStore(redis_client).pending_replies(record.id)] == [
        ":white_check_mark: <@U0BOB> approved. Queued."
    ]


def test_approved_cleanup_queues_run_cleanup(redis_client: Redis) -> None:
    record = awaiting_request(redis_client, kind=Kind.CLEANUP)
    assert _approvals(redis_client).approve(record.id, user="U0CAROL", kind=Kind.CLEANUP).allowed
    assert _jobs(redis_client, RUNBOOK_QUEUE) == [("workers.jobs.run_cleanup", (record.id,))]


@pytest.mark.parametrize(
    ("user", "code"), [("U0ALICE", RefusalCode.NOT_APPROVER), ("U0BOB", RefusalCode.TWO_PERSON_RULE)]
)
def test_refused_approval_changes_nothing_but_is_audited(redis_client: Redis, user: str, code: RefusalCode) -> None:
    record = awaiting_request(redis_client, requester="U0BOB")
    outcome = _approvals(redis_client).approve(record.id, user=user, kind=Kind.MIGRATION)
    assert outcome.refusal is not None and outcome.refusal.code is code
    assert RecordStore(redis_client).get(record.id).state is State.AWAITING_APPROVAL
    assert _jobs(redis_client, RUNBOOK_QUEUE) == []
    entry = AuditLog(redis_client).read()[-1]
    assert (entry.event, entry.actor, entry.outcome, entry.details["reason"]) == ("refused", user, "refused", code)


def test_second_approval_of_same_request_is_refused_naming_the_first_approver(redis_client: Redis) -> None:
    record = awaiting_request(redis_client)
    approvals = _approvals(redis_client)
    approvals.approve(record.id, user="U0BOB", kind=Kind.MIGRATION)
    second = approvals.approve(record.id, user="U0CAROL", kind=Kind.MIGRATION)
    assert second.refusal is not None and second.refusal.code is RefusalCode.ALREADY_DECIDED
    assert second.refusal.text.startswith("This request was already approved by <@U0BOB> at <!date^")
    assert len(_jobs(redis_client, RUNBOOK_QUEUE)) == 1


def test_concurrent_approvals_queue_exactly_one_migration(redis_client: Redis, redis_url: str) -> None:
    record = awaiting_request(redis_client)
    start = threading.Barrier(2)
    outcomes = []

    def click(user: str) -> None:
        approvals = _approvals(Redis.from_url(redis_url))  # one connection per approver, as two bot replicas
        start.wait()
        outcomes.append(approvals.approve(record.id, user=user, kind=Kind.MIGRATION))

    threads = [threading.Thread(target=click, args=(u,)) for u in ("U0BOB", "U0CAROL")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.allowed for o in outcomes) == [False, True]
    assert len(_jobs(redis_client, RUNBOOK_QUEUE)) == 1
    assert [e.event for e in AuditLog(redis_client).read()].count("approved") == 1


def test_click_on_a_lapsed_request_is_refused_and_expires_it(redis_client: Redis) -> None:
    record = awaiting_request(redis_client, expires_in_s=-1)
    outcome = _approvals(redis_client).approve(record.id, user="U0BOB", kind=Kind.MIGRATION)
    assert outcome.refusal is not None and outcome.refusal.code is RefusalCode.EXPIRED
    assert "expired" in outcome.refusal.text
    assert RecordStore(redis_client).get(record.id).state is State.EXPIRED
    assert _jobs(redis_client, RUNBOOK_QUEUE) == []
    assert _jobs(redis_client, NOTIFY_QUEUE) == [("workers.jobs.deliver_notifications", (record.id,))]


def test_reject_records_who_and_why_with_the_reason_escaped(redis_client: Redis) -> None:
    record = awaiting_request(redis_client)
    outcome = _approvals(redis_client).reject(record.id, user="U0BOB", kind=Kind.MIGRATION, reason="<!channel> not now")
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
    approvals = _approvals(redis_client)
    approvals.approve(record.id, user="U0BOB", kind=Kind.MIGRATION)
    outcome = approvals.cancel("prod-hz-1", user="U0ALICE")
    assert outcome.refusal is not None and outcome.refusal.code is RefusalCode.NOTHING_TO_CANCEL
    assert "cannot be cancelled" in outcome.refusal.text
