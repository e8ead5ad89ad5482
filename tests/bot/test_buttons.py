"""Clicks on the request message, delivered signed by the Slack stand-in to the running bot: the record,
the queued jobs, the audit log, and the private explanation a refused clicker reads."""

from __future__ import annotations

import time
from typing import Any

from tests.bot.harness import RunningBot, eventually
from tests.bot.payloads import click_payload, reason_submission
from tests.bot.records import awaiting_request
from workers.audit import AuditLog
from workers.domain.records import Kind, Record, State
from workers.domain.results import MigrationResult
from workers.store import RecordStore


def _private(bot: RunningBot, user: str) -> list[str]:
    return [m["text"] for m in bot.control.slack_ephemeral(channel="C0PLATFORM", user=user)]


def _opened(bot: RunningBot, kind: Kind = Kind.MIGRATION, requester: str = "U0ALICE",
            expires_in_s: float = 3600) -> tuple[Record, str]:
    record = awaiting_request(bot.redis, kind=kind, requester=requester, expires_in_s=expires_in_s)
    return record, bot.post_request_message(record)


def _runbook_jobs(bot: RunningBot) -> list[tuple[str | None, tuple[Any, ...]]]:
    return [(name, args) for name, args, _ in bot.jobs() if name != "workers.jobs.deliver_notifications"]


def test_approval_by_an_approver_is_queued_for_counting_and_the_approver_told(bot: RunningBot) -> None:
    record, ts = _opened(bot)
    answer = bot.control.click("U0BOB", "C0PLATFORM", ts, "approve_migration")
    assert answer["status"] == 200
    ((func, args, kwargs),) = eventually(lambda: bot.jobs())
    assert (func, args, kwargs["user"]) == ("workers.jobs.count_approval", (record.id,), "U0BOB")
    (said,) = eventually(lambda: _private(bot, "U0BOB"))
    assert said.startswith("Re-running the prechecks for `prod-hz-1`; your approval counts once they match")
    assert bot.store.get(record.id).state is State.AWAITING_APPROVAL, "a worker counts it after the re-check"


def test_a_click_from_another_channel_or_message_is_refused_and_audited(bot: RunningBot) -> None:
    record, ts = _opened(bot)
    for channel, message_ts in (("C0ELSEWHERE", ts), ("C0PLATFORM", "1700000000.424242")):
        status, _ = bot.post_signed(click_payload("U0BOB", channel, message_ts, "approve_migration", record.id))
        assert status == 200
    eventually(lambda: len([e for e in AuditLog(bot.redis).read() if e.event == "refused"]) == 2)
    refused = [e for e in AuditLog(bot.redis).read() if e.event == "refused"]
    assert {(e.record_id, e.details["reason"]) for e in refused} == {(record.id, "foreign_click")}
    assert bot.jobs() == []
    said = eventually(lambda: [m for m in bot.control.slack_ephemeral(user="U0BOB")])
    assert all("not on this request's message" in m["text"] for m in said)


def test_self_approval_is_refused_under_the_two_person_rule(bot: RunningBot) -> None:
    record, ts = _opened(bot, requester="U0BOB")
    bot.control.click("U0BOB", "C0PLATFORM", ts, "approve_migration")
    assert eventually(lambda: _private(bot, "U0BOB")) == [
        "You requested this migration, so someone else must approve it (two-person rule)."]
    assert bot.store.get(record.id).state is State.AWAITING_APPROVAL
    assert bot.jobs() == []
    entry = AuditLog(bot.redis).read()[-1]
    assert (entry.event, entry.actor, entry.details["reason"]) == ("refused", "U0BOB", "two_person_rule")
    (message,) = bot.control.slack_messages("C0PLATFORM")
    assert not message.get("edits")  # the channel message was left as it was


def test_non_approver_is_refused_privately(bot: RunningBot) -> None:
    record, ts = _opened(bot)
    bot.control.click("U0DAVE", "C0PLATFORM", ts, "approve_migration")
    assert eventually(lambda: _private(bot, "U0DAVE")) == ["Only <!subteam^S0PLATFORM> can approve migrations."]
    assert bot.store.get(record.id).state is State.AWAITING_APPROVAL
    assert bot.jobs() == []


def test_click_on_a_lapsed_request_is_refused_before_the_reconciler_ran(bot: RunningBot) -> None:
    record, ts = _opened(bot, expires_in_s=0.05)
    time.sleep(0.1)
    bot.control.click("U0BOB", "C0PLATFORM", ts, "approve_migration")
    (said,) = eventually(lambda: _private(bot, "U0BOB"))
    assert said.startswith("This request expired at")
    assert bot.store.get(record.id).state is State.EXPIRED
    assert bot.jobs() == [("workers.jobs.deliver_notifications", (record.id,), {})]


def test_reject_opens_a_reason_dialog_and_its_submission_rejects(bot: RunningBot) -> None:
    record, ts = _opened(bot)
    bot.control.click("U0CAROL", "C0PLATFORM", ts, "reject_migration")
    (opened,) = eventually(lambda: bot.control.slack_views())
    assert opened["user"] == "U0CAROL" and opened["view"]["callback_id"] == "reject_reason"
    assert bot.store.get(record.id).state is State.AWAITING_APPROVAL  # nothing decided until submitted
    status, _ = bot.post_signed(reason_submission("U0CAROL", opened["view"], "freeze until <!here> Monday"))
    assert status == 200
    saved = eventually(lambda: (r := bot.store.get(record.id)).state is State.REJECTED and r)
    assert (saved.decided_by, saved.reason) == ("U0CAROL", "freeze until <!here> Monday")
    replies = [reply.text for _, reply in RecordStore(bot.redis).pending_replies(record.id)]
    assert replies == [":x: <@U0CAROL> rejected: freeze until &lt;!here&gt; Monday"]
    eventually(lambda: bot.jobs() == [("workers.jobs.deliver_notifications", (record.id,), {})])
    assert [e.event for e in AuditLog(bot.redis).read()] == ["rejected"]


def test_reject_by_a_non_approver_opens_no_dialog(bot: RunningBot) -> None:
    record, ts = _opened(bot)
    bot.control.click("U0DAVE", "C0PLATFORM", ts, "reject_migration")
    assert eventually(lambda: _private(bot, "U0DAVE")) == ["Only <!subteam^S0PLATFORM> can reject migrations."]
    assert bot.control.slack_views() == []
    assert bot.store.get(record.id).state is State.AWAITING_APPROVAL


def test_cleanup_approval_is_queued_for_counting(bot: RunningBot) -> None:
    record, ts = _opened(bot, kind=Kind.CLEANUP)
    bot.control.click("U0BOB", "C0PLATFORM", ts, "approve_cleanup")
    assert eventually(lambda: _runbook_jobs(bot) == [("workers.jobs.count_approval", (record.id,))])


def test_clean_up_old_masters_opens_a_cleanup_request(bot: RunningBot) -> None:
    record, _ = _opened(bot)
    store = bot.store
    store.transition(record.id, State.APPROVED, decided_by="U0BOB", decided_at=time.time())
    store.transition(record.id, State.MIGRATING)
    store.transition(record.id, State.SUCCEEDED, result=MigrationResult())
    ts = bot.post_request_message(store.get(record.id))
    bot.control.click("U0ALICE", "C0PLATFORM", ts, "request_cleanup")
    ((func, _, kwargs),) = eventually(lambda: bot.jobs())
    assert func == "workers.jobs.open_cleanup_request"
    assert {k: kwargs[k] for k in ("cluster_ref", "release_ecs", "requester", "channel", "parent_id")} == {
        "cluster_ref": record.cluster_id, "release_ecs": False, "requester": "U0ALICE", "channel": "C0PLATFORM",
        "parent_id": record.id}
    (said,) = eventually(lambda: _private(bot, "U0ALICE"))
    assert "Opening a cleanup request for `prod-hz-1`" in said


