"""Deciding about waves and the freeze (bot.waves) on a real Redis: who may, what is written, what is
audited and queued — the same rules as a migration's decisions."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue

from bot.authz import Click, Policy, RefusalCode
from bot.grammar import Freeze, parse
from bot.waves import WaveDecisions
from workers.audit import AuditLog
from workers.domain.freeze import FreezeFor
from workers.domain.waves import Wave, WaveCluster, WaveState
from workers.freeze_store import FreezeStore
from workers.lifecycle import Lifecycle
from workers.queues import INTERACTIVE_QUEUE, NOTIFY_QUEUE, RUNBOOK_QUEUE, Queues
from workers.store import RecordStore
from workers.wave_store import WaveStore

CHANNEL, TS = "C0PLATFORM", "1700000000.000100"
ON_THE_MESSAGE = Click(channel=CHANNEL, message_ts=TS)


def _decisions(redis: Redis, *, members: Callable[[], frozenset[str]] | None = None) -> WaveDecisions:
    audit = AuditLog(redis)
    store = RecordStore(redis)
    return WaveDecisions(
        lifecycle=Lifecycle(store=store, audit=audit, queues=Queues(redis), waves=WaveStore(redis)),
        waves=WaveStore(redis), freezes=FreezeStore(redis, audit),
        policy=Policy.from_lists(approvers=["S0PLATFORM"], requesters=["U0ALICE", "U0BOB"]),
        approver_members=members or (lambda: frozenset({"U0BOB", "U0CAROL"})),
        requester_members=frozenset,
    )


def _awaiting(redis: Redis, name: str = "w1") -> Wave:
    store = WaveStore(redis)
    store.create(Wave(name=name, requester="U0ALICE", channel=CHANNEL, approvals_required=2,
                      clusters=(WaveCluster("c01", "web-01", "main", "cn-hangzhou"),),
                      state=WaveState.AWAITING_APPROVAL, expires_at=time.time() + 3600))
    return store.set_message_ts(name, TS)


def _ticks(redis: Redis) -> list[str]:
    return [str(job.args[0]) for job in Queue(RUNBOOK_QUEUE, connection=redis).get_jobs()
            if job.func_name == "workers.jobs.tick_wave"]


def test_wave_create_queues_the_open_job_and_audits_the_command(redis_client: Redis) -> None:
    parsed = parse("wave create w1 --clusters web-* --bucket-map cn-hangzhou=ack-hz --max-parallel 2")

    outcome = _decisions(redis_client).create(parsed, user="U0ALICE", channel=CHANNEL, command="wave create w1",
                                              response_url=None)  # type: ignore[arg-type]

    assert outcome.allowed and "w1" in outcome.text
    ((job,),) = [Queue(INTERACTIVE_QUEUE, connection=redis_client).get_jobs()]
    assert job.func_name == "workers.jobs.open_wave_request"
    assert (job.kwargs["name"], job.kwargs["patterns"], job.kwargs["max_parallel"]) == ("w1", ["web-*"], 2)
    assert [(e.event, e.details["wave"]) for e in AuditLog(redis_client).read()] == [("command", "w1")]


def test_a_non_requester_cannot_create_a_wave_and_the_refusal_is_audited(redis_client: Redis) -> None:
    parsed = parse("wave create w1 --clusters web-* --bucket-map cn-hangzhou=ack-hz")

    outcome = _decisions(redis_client).create(parsed, user="U0MALLORY", channel=CHANNEL, command="wave create w1",
                                              response_url=None)  # type: ignore[arg-type]

    assert outcome.refusal is not None and outcome.refusal.code is RefusalCode.NOT_REQUESTER
    assert Queue(INTERACTIVE_QUEUE, connection=redis_client).get_jobs() == []
    assert [e.event for e in AuditLog(redis_client).read()] == ["refused"]


def test_two_approvers_approve_a_wave_and_the_second_queues_its_tick(redis_client: Redis) -> None:
    _awaiting(redis_client)
    decisions = _decisions(redis_client, members=lambda: frozenset({"U0BOB", "U0CAROL", "U0DAVE"}))

    first = decisions.approve("w1", user="U0BOB", click=ON_THE_MESSAGE)
    again = decisions.approve("w1", user="U0BOB", click=ON_THE_MESSAGE)
    second = decisions.approve("w1", user="U0CAROL", click=ON_THE_MESSAGE)

    assert first.allowed and second.allowed
    assert again.refusal is not None and again.refusal.code is RefusalCode.ALREADY_APPROVED
    assert WaveStore(redis_client).get("w1").state is WaveState.APPROVED
    events = [e.event for e in AuditLog(redis_client).read()]
    assert events.count("approved") == 2 and events.count("refused") == 1
    assert _ticks(redis_client) == ["w1", "w1"]


def test_a_wave_click_counts_only_from_a_fresh_approver_on_the_waves_own_message(redis_client: Redis) -> None:
    _awaiting(redis_client)
    members = {"U0BOB"}
    decisions = _decisions(redis_client, members=lambda: frozenset(members))

    elsewhere = decisions.approve("w1", user="U0BOB", click=Click(channel="C0OTHER", message_ts=TS))
    own = decisions.approve("w1", user="U0ALICE", click=ON_THE_MESSAGE)
    members.clear()  # Bob leaves the approver group: the next decision asks again
    left = decisions.approve("w1", user="U0BOB", click=ON_THE_MESSAGE)

    assert elsewhere.refusal is not None and elsewhere.refusal.code is RefusalCode.FOREIGN_CLICK
    assert own.refusal is not None and own.refusal.code in (RefusalCode.NOT_APPROVER, RefusalCode.TWO_PERSON_RULE)
    assert left.refusal is not None and left.refusal.code is RefusalCode.NOT_APPROVER
    assert WaveStore(redis_client).get("w1").approvals == ()


def test_a_requester_pauses_and_only_an_approver_resumes_or_cancels(redis_client: Redis) -> None:
    _awaiting(redis_client)
    decisions = _decisions(redis_client)
    decisions.approve("w1", user="U0BOB", click=ON_THE_MESSAGE)
    decisions.approve("w1", user="U0CAROL", click=ON_THE_MESSAGE)

    paused = decisions.pause("w1", user="U0ALICE", channel=CHANNEL)
    not_resumed = decisions.resume("w1", user="U0ALICE", channel=CHANNEL)
    not_cancelled = decisions.cancel("w1", user="U0ALICE", channel=CHANNEL)
    resumed = decisions.resume("w1", user="U0BOB", channel=CHANNEL)
    cancelled = decisions.cancel("w1", user="U0CAROL", channel=CHANNEL)

    assert paused.allowed and resumed.allowed and cancelled.allowed
    for refused in (not_resumed, not_cancelled):
        assert refused.refusal is not None and refused.refusal.code is RefusalCode.NOT_APPROVER
    assert WaveStore(redis_client).get("w1").state is WaveState.CANCELLED
    events = [e.event for e in AuditLog(redis_client).read()]
    assert (events.count("wave_paused"), events.count("wave_resumed"), events.count("cancelled"),
            events.count("refused")) == (1, 1, 1, 2)


def test_a_requester_freezes_without_approval_and_only_an_approver_unfreezes(redis_client: Redis) -> None:
    decisions = _decisions(redis_client)

    frozen = decisions.freeze(Freeze(until=FreezeFor(span=timedelta(hours=2)),
                                     reason="incident"), user="U0ALICE", channel=CHANNEL)
    not_lifted = decisions.unfreeze(user="U0ALICE", channel=CHANNEL)
    lifted = decisions.unfreeze(user="U0BOB", channel=CHANNEL)
    nothing = decisions.unfreeze(user="U0BOB", channel=CHANNEL)

    assert frozen.allowed and lifted.allowed
    assert not_lifted.refusal is not None and not_lifted.refusal.code is RefusalCode.NOT_APPROVER
    assert nothing.refusal is not None
    assert FreezeStore(redis_client, AuditLog(redis_client)).current() is None
    announced = [(job.kwargs["lifted"], job.kwargs["by"]) for job in Queue(NOTIFY_QUEUE, connection=redis_client).get_jobs()
                 if job.func_name == "workers.jobs.freeze_changed"]
    assert announced == [(False, "U0ALICE"), (True, "U0BOB")]
    events = [e.event for e in AuditLog(redis_client).read()]
    assert (events.count("frozen"), events.count("unfrozen")) == (1, 1)


def test_a_wave_reject_asks_again_who_may_decide_and_never_stores_a_reason_over_the_limit(redis_client: Redis) -> None:
    _awaiting(redis_client)
    members = {"U0BOB"}
    decisions = _decisions(redis_client, members=lambda: frozenset(members))

    opened = decisions.check_rejectable("w1", user="U0BOB", click=ON_THE_MESSAGE)
    with pytest.raises(ValueError, match="at most 500"):
        decisions.reject("w1", user="U0BOB", reason="x" * 501)
    members.clear()  # Bob leaves the approver group while the dialog is open
    left = decisions.reject("w1", user="U0BOB", reason="not now")

    assert opened.allowed and opened.wave is not None and opened.wave.name == "w1"
    assert left.refusal is not None and left.refusal.code is RefusalCode.NOT_APPROVER
    assert WaveStore(redis_client).get("w1").state is WaveState.AWAITING_APPROVAL
    assert [(e.event, e.details["action"]) for e in AuditLog(redis_client).read()] == [("refused", "wave_reject")]
