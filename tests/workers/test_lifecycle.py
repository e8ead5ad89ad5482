"""Every event of a request's life, through workers.lifecycle: the record moves, exactly one audit entry
says so with the request id, and the message is marked for redraw — read back from a real Redis."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from redis import Redis
from rq import Queue

from tests.bot.records import awaiting_request
from workers.audit import AuditLog
from workers.checks.model import CheckResult, Outcome, PrecheckReport, Severity
from workers.domain.records import IllegalTransition, Kind, Record, State
from workers.domain.workflows import CLEANUP, MIGRATION
from workers.lifecycle import Lifecycle
from workers.queues import INTERACTIVE_QUEUE, NOTIFY_QUEUE, RUNBOOK_QUEUE, Queues
from workers.store import ClusterBusy, RecordStore, Reply
from workers.ui import thread_replies


def _lifecycle(redis: Redis) -> Lifecycle:
    return Lifecycle(store=RecordStore(redis), audit=AuditLog(redis), queues=Queues(redis))


def _events(redis: Redis, record_id: str) -> list[str]:
    return [entry.event for entry in AuditLog(redis).read(request=record_id)]


def _jobs(redis: Redis, queue: str) -> list[tuple[str, tuple[object, ...]]]:
    return [(job.func_name, job.args) for job in Queue(queue, connection=redis).get_jobs()]


def _new(kind: Kind = Kind.MIGRATION, *, cluster: str = "prod-hz-1") -> Record:
    return Record(id=MIGRATION.new_record_id() if kind is Kind.MIGRATION else CLEANUP.new_record_id(),
                  kind=kind, cluster_id="c-" + cluster, cluster_name=cluster, region="cn-hangzhou",
                  requester="U0ALICE", channel="C0PLATFORM")


def test_a_request_asked_for_is_queued_and_audited_as_one_command(redis_client: Redis) -> None:
    request_id = _lifecycle(redis_client).request(
        CLEANUP, actor="U0ALICE", channel="C0PLATFORM", cluster_ref="prod-hz-1", command="cleanup prod-hz-1",
        response_url=None, release_ecs=True)

    assert request_id.startswith("c-")
    ((entry,),) = [AuditLog(redis_client).read(request=request_id)]
    assert (entry.event, entry.actor, entry.details["command"]) == ("command", "U0ALICE", "cleanup prod-hz-1")
    ((job,),) = [Queue(INTERACTIVE_QUEUE, connection=redis_client).get_jobs()]
    assert job.func_name == "workers.jobs.open_cleanup_request"
    assert (job.kwargs["record_id"], job.kwargs["release_ecs"]) == (request_id, True)


def test_creating_a_request_audits_it_once_and_a_busy_cluster_is_a_refusal(redis_client: Redis) -> None:
    lifecycle = _lifecycle(redis_client)
    first, second = _new(), _new()

    lifecycle.create(first, actor="U0ALICE")
    with pytest.raises(ClusterBusy):
        lifecycle.create(second, actor="U0BOB")

    assert _events(redis_client, first.id) == ["requested"]
    ((refused,),) = [AuditLog(redis_client).read(request=second.id)]
    assert (refused.event, refused.details["reason"], refused.details["busy_with"]) == (
        "refused", "cluster_busy", first.id)


def test_a_blocked_request_is_audited_once_with_the_failing_checks(redis_client: Redis) -> None:
    lifecycle = _lifecycle(redis_client)
    record = lifecycle.create(_new(), actor="U0ALICE")
    RecordStore(redis_client).transition(record.id, State.PRECHECKING)

    slb = CheckResult(id="slb-spec", title="SLB spec", outcome=Outcome.FAIL, severity=Severity.FAIL,
                      summary="API server SLB lb-bp1 is a shared-resource instance")
    report = PrecheckReport(cluster_id=record.cluster_id, cluster_name=record.cluster_name, region_id=record.region,
                            current_version="1.22.15-aliyun.1", cluster_type="Kubernetes", cluster_spec="",
                            state="running", master_count=3, worker_count=2, bucket=None, bucket_endpoint=None,
                            checks=(slb,))

    lifecycle.block(record.id, precheck=report, reason="a blocking prerequisite failed", checks="slb-spec")

    blocked = RecordStore(redis_client).get(record.id)
    assert blocked.state is State.BLOCKED
    assert blocked.precheck == report, "the findings that blocked it are kept with the record"
    entries = AuditLog(redis_client).read(request=record.id)
    assert [e.event for e in entries] == ["requested", "blocked"]
    assert entries[-1].details["checks"] == "slb-spec"


def test_a_request_slack_refused_to_post_is_withdrawn_and_audited_once(redis_client: Redis) -> None:
    lifecycle = _lifecycle(redis_client)
    record = lifecycle.create(_new(), actor="U0ALICE")

    lifecycle.withdraw_unposted(record.id, code="not_in_channel")
    assert lifecycle.withdraw_unposted(record.id, code="not_in_channel") is None  # ended already: nothing more

    assert RecordStore(redis_client).get(record.id).state is State.CANCELLED
    assert _events(redis_client, record.id) == ["requested", "cancelled"]
    assert _jobs(redis_client, NOTIFY_QUEUE) == []  # there is no message to redraw


@pytest.mark.parametrize(("kind", "start_job"), [(Kind.MIGRATION, "workers.jobs.run_migration"),
                                                 (Kind.CLEANUP, "workers.jobs.run_cleanup")])
def test_the_last_approval_queues_its_workflows_start_job_once(redis_client: Redis, kind: Kind, start_job: str) -> None:
    record = awaiting_request(redis_client, kind=kind, approvals_required=2)
    lifecycle = _lifecycle(redis_client)

    lifecycle.approve(record.id, user="U0BOB", at=time.time(), reply=lambda _: Reply("counted"))
    assert _jobs(redis_client, RUNBOOK_QUEUE) == []
    lifecycle.approve(record.id, user="U0CAROL", at=time.time(), reply=lambda _: Reply("counted"))

    assert RecordStore(redis_client).get(record.id).state is State.APPROVED
    assert _jobs(redis_client, RUNBOOK_QUEUE) == [(start_job, (record.id,))]
    assert _events(redis_client, record.id) == ["approved", "approved"]
    assert record.id in RecordStore(redis_client).dirty_messages()


def test_reject_and_cancel_are_audited_once_and_a_second_decision_changes_nothing(redis_client: Redis) -> None:
    lifecycle = _lifecycle(redis_client)
    rejected, cancelled = awaiting_request(redis_client), awaiting_request(redis_client, cluster_name="prod-hz-2")

    lifecycle.reject(rejected.id, user="U0BOB", reason="not now", reply=Reply("rejected"))
    lifecycle.cancel(cancelled.id, user="U0ALICE", reply=Reply("cancelled"))
    with pytest.raises(IllegalTransition):
        lifecycle.cancel(rejected.id, user="U0ALICE", reply=Reply("cancelled"))

    assert _events(redis_client, rejected.id) == ["rejected"]
    assert _events(redis_client, cancelled.id) == ["cancelled"]
    assert _jobs(redis_client, NOTIFY_QUEUE) == [("workers.jobs.deliver_notifications", (rejected.id,)),
                                                 ("workers.jobs.deliver_notifications", (cancelled.id,))]


def test_an_expiry_is_decided_once_whoever_notices_it_with_one_reply_and_one_entry(redis_client: Redis) -> None:
    lapsed = awaiting_request(redis_client, expires_in_s=-1)
    store = RecordStore(redis_client)

    found = [*_lifecycle(redis_client).expire_due(), *_lifecycle(redis_client).expire_due()]  # sweep, then click

    assert [r.id for r in found] == [lapsed.id]
    assert store.get(lapsed.id).state is State.EXPIRED
    assert [reply.text for _, reply in store.pending_replies(lapsed.id)] == [thread_replies.expired()]
    assert Counter(_events(redis_client, lapsed.id)) == Counter({"expired": 1})
    assert lapsed.id in store.dirty_messages()


def test_a_refusal_is_one_entry_naming_what_was_asked(redis_client: Redis) -> None:
    _lifecycle(redis_client).refused(actor="U0EVE", action="cancel", reason="nothing_to_cancel", cluster="prod-hz-9")

    ((entry,),) = [AuditLog(redis_client).read(cluster="prod-hz-9")]
    assert (entry.event, entry.outcome, entry.actor, entry.details["action"], entry.details["reason"]) == (
        "refused", "refused", "U0EVE", "cancel", "nothing_to_cancel")
