"""Every way a request ends other than success, through Slack with the real processes running: a migration
ACK fails, an account ACK refuses (not whitelisted), a rejection with a reason, a cancel, an approval
that expires, and a second request for a cluster that already has one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.client import SandboxControlError
from tests.e2e.processes import (
    ALICE,
    BOB,
    BUCKET,
    CAROL,
    CHANNEL,
    Stack,
    buttons,
    header,
    reason_submitted,
    running_stack,
    wait_for,
)
from workers.domain.records import State

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack() as running:
        yield running


def _requested(stack: Stack, name: str, **spec: Any) -> tuple[str, str, str]:
    """Alice asks to migrate a new cluster; (cluster id, record id, request message ts) once it is posted."""
    cluster_id = stack.new_cluster(name, **spec)["cluster_id"]
    stack.slash(ALICE, f"migrate {name} --bucket {BUCKET}")
    record = stack.posted_request(cluster_id)
    assert buttons(stack.message(str(record.message_ts))) == ["approve_migration", "reject_migration"]
    return cluster_id, record.id, str(record.message_ts)


def _broadcasts(stack: Stack, thread_ts: str) -> list[str]:
    return [str(m["text"]) for m in stack.channel() if m.get("reply_broadcast") and m.get("thread_ts") == thread_ts]


def test_a_migration_ack_fails_is_broadcast_with_acks_error_and_no_way_back(stack: Stack) -> None:
    cluster_id, record_id, ts = _requested(stack, "fail-hz-1", migration={"duration_s": 3, "fail_at_stage": 3})
    stack.click(BOB, ts, "approve_migration")
    wait_for(lambda: stack.settled(record_id), what="the failure recorded and shown")

    failed = stack.store.get(record_id)
    assert (failed.state, failed.stage) == (State.FAILED, 3)
    (task,) = stack.control.cluster_state(cluster_id)["tasks"]
    thread = stack.thread_texts(ts)
    assert [t.split(":")[0] for t in thread if t.startswith("Stage ")] == ["Stage 1/5", "Stage 2/5", "Stage 3/5"]
    said = thread[-1]
    assert said.startswith("❌ Migration of fail-hz-1 failed at stage 3/5: ACK task")
    assert f"{task['error']['code']}: {task['error']['message']}" in said, "ACK's own error, word for word"
    assert "Nothing was rolled back by ackmigrate (it cannot be)." in said
    assert f"open a ticket with Alibaba Cloud support quoting task id `{task['task_id']}`" in said
    assert _broadcasts(stack, ts) == [said], "the failure is also sent to the channel"
    parent = stack.message(ts)
    assert header(parent).endswith("Migration failed — fail-hz-1 → ACK Pro") and buttons(parent) == []
    assert len(stack.migrate_calls(cluster_id)) == 1


def test_an_account_not_whitelisted_fails_with_the_ticket_to_open(stack: Stack) -> None:
    cluster_id, record_id, ts = _requested(stack, "nowl-hz-1", whitelisted=False)
    stack.click(BOB, ts, "approve_migration")
    wait_for(lambda: stack.settled(record_id), what="the refusal recorded and shown")

    assert stack.store.get(record_id).state is State.FAILED
    said = stack.thread_texts(ts)[-1]
    assert said.startswith("❌ Migration of nowl-hz-1 failed: ACK refused to migrate nowl-hz-1: this account is "
                           "not whitelisted for hot migration to ACK Pro (Forbidden.NotInWhitelist")
    assert "*What to do:* submit a ticket asking Alibaba Cloud to add the account to the whitelist" in said
    assert _broadcasts(stack, ts) == [said]
    assert [c["status"] for c in stack.migrate_calls(cluster_id)] == [403]
    state = stack.control.cluster_state(cluster_id)
    assert (state["cluster_type"], state["state"]) == ("Kubernetes", "running"), "the cluster was not changed"


def test_a_rejection_with_a_reason_ends_the_request_and_frees_the_cluster(stack: Stack) -> None:
    cluster_id, record_id, ts = _requested(stack, "rej-hz-1")
    stack.click(BOB, ts, "reject_migration")
    opened = wait_for(lambda: [v for v in stack.control.slack_views() if v["user"] == BOB], what="the Reject modal")
    view = opened[-1]["view"]
    assert view["callback_id"] == "reject_reason"
    assert stack.store.get(record_id).state is State.AWAITING_APPROVAL, "nothing decided until submitted"

    assert stack.post_signed(reason_submitted(BOB, view, "wait until the release freeze ends")) == 200
    wait_for(lambda: stack.settled(record_id), what="the rejection recorded and shown")

    rejected = stack.store.get(record_id)
    assert (rejected.state, rejected.decided_by, rejected.reason) == (
        State.REJECTED, BOB, "wait until the release freeze ends")
    assert stack.thread_texts(ts) == [":x: <@U0BOB> rejected: wait until the release freeze ends"]
    parent = stack.message(ts)
    assert header(parent).endswith("Migration rejected — rej-hz-1 → ACK Pro") and buttons(parent) == []
    assert "Rejected by <@U0BOB>" in str(parent["blocks"])
    assert stack.migrate_calls(cluster_id) == []
    stack.slash(ALICE, f"migrate rej-hz-1 --bucket {BUCKET}")
    wait_for(lambda: (r := stack.record(cluster_id)) is not None and r.id != record_id
             and r.state is State.AWAITING_APPROVAL, what="a new request: the cluster is free again")


def test_a_request_cancelled_by_its_requester_loses_its_buttons(stack: Stack) -> None:
    cluster_id, record_id, ts = _requested(stack, "cxl-hz-1")
    answer = stack.slash(ALICE, "cancel cxl-hz-1")
    assert "Cancelled the migration request for `cxl-hz-1`" in answer["body"]
    wait_for(lambda: stack.settled(record_id), what="the cancel recorded and shown")

    assert stack.store.get(record_id).state is State.CANCELLED
    parent = stack.message(ts)
    assert header(parent).endswith("Migration cancelled — cxl-hz-1 → ACK Pro") and buttons(parent) == []
    with pytest.raises(SandboxControlError, match="has no button 'approve_migration'"):
        stack.control.click(BOB, CHANNEL, ts, "approve_migration")
    assert stack.migrate_calls(cluster_id) == []


def test_an_approval_nobody_gives_in_time_expires_and_a_late_click_is_refused(stack: Stack) -> None:
    with stack.workers_with(ACKMIGRATE_APPROVAL_TTL="2"):
        cluster_id, record_id, ts = _requested(stack, "exp-hz-1")
        as_first_shown = stack.message(ts)
        wait_for(lambda: stack.settled(record_id), what="the request expired and redrawn")

    assert stack.store.get(record_id).state is State.EXPIRED
    parent = stack.message(ts)
    assert header(parent).endswith("Migration request expired — exp-hz-1 → ACK Pro") and buttons(parent) == []
    assert stack.thread_texts(ts) == ["⌛ Nobody approved or rejected this in time; the request has expired."]
    with pytest.raises(SandboxControlError, match="has no button 'approve_migration'"):
        stack.control.click(BOB, CHANNEL, ts, "approve_migration")

    # Bob's Slack client still shows the message as it was first posted, buttons and all.
    assert stack.post_signed(_stale_click(BOB, as_first_shown, "approve_migration")) == 200
    said = wait_for(lambda: [t for t in stack.private(BOB) if "expired" in t], what="Bob told it expired")
    assert said[-1].startswith("This request expired without a decision. Run `/ackmigrate migrate exp-hz-1")
    time.sleep(0.5)  # whatever a wrongly accepted click would have queued has had time to run
    assert stack.store.get(record_id).state is State.EXPIRED
    assert stack.migrate_calls(cluster_id) == []


def test_a_second_request_for_a_busy_cluster_is_answered_privately_with_the_first_thread(stack: Stack) -> None:
    cluster_id, record_id, ts = _requested(stack, "busy-hz-1")
    stack.slash(CAROL, f"migrate busy-hz-1 --bucket {BUCKET}")

    permalink = f"/archives/{CHANNEL}/p{ts.replace('.', '')}"
    said = wait_for(lambda: [t for t in stack.private(CAROL) if "in flight" in t], what="Carol told it is busy")
    (busy,) = said
    assert busy.startswith("busy-hz-1 already has a migration in flight: https://") and busy.endswith(permalink)
    requests = [m for m in stack.channel() if "busy-hz-1" in header(m)]
    assert [m["ts"] for m in requests] == [ts], "no second request message"
    assert [r.id for r in stack.store.for_cluster(cluster_id)] == [record_id]
    stack.slash(ALICE, "cancel busy-hz-1")


def _stale_click(user: str, message: dict[str, Any], action_id: str) -> dict[str, Any]:
    """The block_actions payload of a click on a copy of `message` that still shows its buttons."""
    (block, button) = next((b, e) for b in message["blocks"] if b.get("type") == "actions"
                           for e in b["elements"] if e.get("action_id") == action_id)
    return {
        "type": "block_actions",
        "team": {"id": "T0SANDBOX", "domain": "sandbox"},
        "user": {"id": user, "team_id": "T0SANDBOX"},
        "api_app_id": "A0ACKMIGRATE",
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": CHANNEL, "is_ephemeral": False},
        "channel": {"id": CHANNEL, "name": "platform"},
        "trigger_id": "1.2.stale",
        "message": message,
        "actions": [{"action_id": action_id, "block_id": block["block_id"], "value": button["value"],
                     "type": "button", "action_ts": f"{time.time():.6f}"}],
    }
