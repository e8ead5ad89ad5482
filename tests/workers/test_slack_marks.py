"""Finding our own earlier posts by their message metadata, through the real WebClient and the stand-in."""

from __future__ import annotations

import time
from typing import Any

from slack_sdk import WebClient

from tests.workers.runbook_harness import make_context
from workers import notify
from workers.domain.records import Kind, Record, State, new_record_id
from workers.slack import MessageMark, SlackClient
from workers.store import Reply

CHANNEL = "C0PLATFORM"


def _clients(sandbox_env: dict[str, str]) -> tuple[SlackClient, WebClient]:
    token, url = sandbox_env["SLACK_BOT_TOKEN"], sandbox_env["SLACK_API_URL"]
    return SlackClient(token=token, base_url=url), WebClient(token=token, base_url=url)


def test_marks_in_a_thread_are_ours_only_and_map_to_their_ts(sandbox: Any, sandbox_env: dict[str, str]) -> None:
    ours, raw = _clients(sandbox_env)
    parent = ours.post(CHANNEL, "request", mark=MessageMark("m-1", 0))
    first = ours.post_reply(CHANNEL, parent, "one", mark=MessageMark("m-1", 1))
    raw.chat_postMessage(channel=CHANNEL, thread_ts=parent, text="someone else's app",
                         metadata={"event_type": "deploy_done", "event_payload": {"seq": 2}})
    raw.chat_postMessage(channel=CHANNEL, thread_ts=parent, text="malformed",
                         metadata={"event_type": "ackmigrate_message", "event_payload": {"record_id": "m-1"}})
    third = ours.post_reply(CHANNEL, parent, "three", mark=MessageMark("m-1", 3))

    assert ours.marks_in_thread(CHANNEL, parent) == {
        MessageMark("m-1", 0): parent, MessageMark("m-1", 1): first, MessageMark("m-1", 3): third}


def test_marks_in_the_channel_start_at_oldest(sandbox: Any, sandbox_env: dict[str, str]) -> None:
    ours, _ = _clients(sandbox_env)
    before = ours.post(CHANNEL, "older request", mark=MessageMark("m-old", 0))
    after = ours.post(CHANNEL, "newer request", mark=MessageMark("m-new", 0))

    assert ours.marks_in_channel(CHANNEL, oldest=float(before)) == {MessageMark("m-new", 0): after}


def _record_with_a_lost_reply(sandbox_env: dict[str, str]) -> tuple[Any, str]:
    """A posted request whose reply 1 was sent by a worker that died before saving the answer."""
    ctx = make_context(sandbox_env)
    ours, _ = _clients(sandbox_env)
    record = ctx.store.create(Record(
        id=new_record_id(Kind.MIGRATION), kind=Kind.MIGRATION, cluster_id="c" + "0" * 32, cluster_name="lost",
        region="cn-hangzhou", requester="U0ALICE", channel=CHANNEL, state=State.AWAITING_APPROVAL,
        expires_at=time.time() + 600))
    ts = ours.post(CHANNEL, "request", mark=MessageMark(record.id, 0))
    ctx.store.update(record.id, message_ts=ts)
    ctx.store.add_reply(record.id, Reply("first reply"))
    ctx.store.mark_reply_attempted(record.id, 1)
    return ctx, record.id


def test_a_reply_is_posted_rather_than_lost_when_slack_refuses_to_show_the_thread(
    sandbox: Any, sandbox_env: dict[str, str]
) -> None:
    ctx, record_id = _record_with_a_lost_reply(sandbox_env)
    sandbox.control.fault("slack", "conversations.replies", http_status=400, code="missing_scope")

    notify.deliver(ctx, record_id)

    thread = sandbox.control.slack_messages(CHANNEL, thread_ts=ctx.store.get(record_id).message_ts)
    assert [m["text"] for m in thread[1:]] == ["first reply"]
    assert ctx.store.pending_replies(record_id) == []
    (said,) = [e for e in ctx.audit.read() if e.event == "slack_error"]
    assert (said.details["method"], said.details["error"]) == ("conversations.replies", "missing_scope")


def test_a_reply_waits_when_slack_cannot_show_the_thread_now(sandbox: Any, sandbox_env: dict[str, str]) -> None:
    ctx, record_id = _record_with_a_lost_reply(sandbox_env)
    sandbox.control.fault("slack", "conversations.replies", http_status=503, count=5)

    notify.deliver(ctx, record_id)

    assert [seq for seq, _ in ctx.store.pending_replies(record_id)] == [1], "kept, to be tried again"
    thread = sandbox.control.slack_messages(CHANNEL, thread_ts=ctx.store.get(record_id).message_ts)
    assert len(thread) == 1, "not posted blind while its first post may be there"
