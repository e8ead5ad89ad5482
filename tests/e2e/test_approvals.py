"""Approvals through `serve`, a worker and the Slack stand-in: what approvers see, what the cloud receives.

Each test reads like an approver's afternoon: who clicked, what they were told privately, what the
thread and the request message say, and how many times ACK was asked to migrate.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.slack_render import render_message_text
from tests.e2e.processes import ALICE, BOB, BUCKET, CAROL, DAVE, Stack, buttons, running_stack, wait_for
from workers.domain.records import Record, State

pytestmark = pytest.mark.e2e

ACKMIGRATE = Path(sys.executable).with_name("ackmigrate")
GROUP = "S0PLATFORM"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack(ACKMIGRATE_APPROVALS_REQUIRED="2") as running:
        yield running


@pytest.fixture(autouse=True)
def _approvers_are_bob_carol_and_dave(stack: Stack) -> None:
    stack.control.set_usergroup(GROUP, [BOB, CAROL, DAVE])


def _requested(stack: Stack, name: str) -> tuple[str, Record]:
    cluster_id = stack.new_cluster(name, masters=3, workers=1, migration={"duration_s": 2})["cluster_id"]
    stack.slash(ALICE, f"migrate {name} --bucket {BUCKET}")
    return cluster_id, stack.posted_request(cluster_id)


def _told(stack: Stack, user: str, count: int, *, since: int) -> list[str]:
    """The private answers `user` got after the first `since` (the module shares one workspace)."""
    def enough() -> list[str] | None:
        said = stack.private(user)[since:]
        return said if len(said) >= count else None

    return wait_for(enough, what=f"{count} private answers to {user}")


def _shown(stack: Stack, record: Record) -> str:
    """The request message as people read it (mentions as @names)."""
    return render_message_text(stack.message(str(record.message_ts)))


def test_two_approvals_are_shown_and_the_second_starts_one_migration(stack: Stack) -> None:
    cluster_id, record = _requested(stack, "two-ok")

    stack.click(BOB, str(record.message_ts), "approve_migration")
    wait_for(lambda: stack.store.get(record.id).approvers == [BOB], what="Bob's approval counted")
    assert stack.migrate_calls(cluster_id) == []
    wait_for(lambda: "Approvals: 1 of 2* — @bob" in _shown(stack, record), what="the message shows 1 of 2")
    assert buttons(stack.message(str(record.message_ts))) == ["approve_migration", "reject_migration"]

    stack.click(CAROL, str(record.message_ts), "approve_migration")
    wait_for(lambda: stack.settled(record.id), what="migrated and shown")
    assert stack.store.get(record.id).state is State.SUCCEEDED
    assert len(stack.migrate_calls(cluster_id)) == 1
    thread = stack.thread_texts(str(record.message_ts))
    assert thread[:2] == [":white_check_mark: <@U0BOB> approved (1 of 2); waiting for 1 more approver.",
                          ":white_check_mark: <@U0CAROL> approved (2 of 2). Queued."]


def test_simultaneous_last_approvals_start_one_job_and_one_migrate_cluster(stack: Stack) -> None:
    cluster_id, record = _requested(stack, "two-race")
    stack.click(BOB, str(record.message_ts), "approve_migration")
    wait_for(lambda: stack.store.get(record.id).approvers == [BOB], what="Bob's approval counted")
    start = threading.Barrier(2)

    def click(user: str) -> None:
        start.wait()
        stack.click(user, str(record.message_ts), "approve_migration")

    before = {user: len(stack.private(user)) for user in (CAROL, DAVE)}
    threads = [threading.Thread(target=click, args=(user,)) for user in (CAROL, DAVE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    wait_for(lambda: stack.settled(record.id), what="migrated and shown")
    saved = stack.store.get(record.id)
    assert saved.state is State.SUCCEEDED and len(saved.approvals) == 2
    assert len(stack.migrate_calls(cluster_id)) == 1, "MigrateCluster is never called twice"
    thread = stack.thread_texts(str(record.message_ts))
    assert sum("(2 of 2). Queued." in t for t in thread) == 1
    loser = DAVE if saved.decided_by == CAROL else CAROL
    assert _told(stack, loser, 2, since=before[loser])[-1].startswith(f"This request was already approved by <@{saved.decided_by}>")


def test_an_approver_removed_from_the_group_is_refused_on_the_next_click(stack: Stack) -> None:
    cluster_id, record = _requested(stack, "removed-approver")
    stack.click(CAROL, str(record.message_ts), "approve_migration")  # fills the bot's cache: Bob is in it
    wait_for(lambda: stack.store.get(record.id).approvers == [CAROL], what="Carol's approval counted")

    stack.control.set_usergroup(GROUP, [CAROL, DAVE])  # Bob leaves the approvers
    before = len(stack.private(BOB))
    stack.click(BOB, str(record.message_ts), "approve_migration")

    assert _told(stack, BOB, 1, since=before)[-1] == f"Only <!subteam^{GROUP}> can approve migrations."
    saved = stack.store.get(record.id)
    assert (saved.state, saved.approvers) == (State.AWAITING_APPROVAL, [CAROL])
    assert stack.migrate_calls(cluster_id) == []
    refusal = [e for e in stack.audit() if e["event"] == "refused" and e["actor"] == BOB][-1]
    assert (refusal["record_id"], refusal["details"]["reason"]) == (record.id, "not_approver")


def test_a_stale_approval_is_refused_after_the_cluster_changed(stack: Stack) -> None:
    cluster_id, record = _requested(stack, "stale-approval")
    stack.control.change_cluster(cluster_id, cloud_assistant=False)
    before = len(stack.private(BOB))

    stack.click(BOB, str(record.message_ts), "approve_migration")

    said = _told(stack, BOB, 2, since=before)[-1]
    assert said.startswith("Your approval of stale-approval was not counted: the prechecks re-run just now differ")
    wait_for(lambda: stack.settled(record.id), what="the request closed and shown")
    assert stack.store.get(record.id).state is State.BLOCKED
    assert stack.migrate_calls(cluster_id) == []
    assert buttons(stack.message(str(record.message_ts))) == []
    assert stack.thread_texts(str(record.message_ts))[-1].startswith("⛔ The prechecks re-run at approval")


def test_audit_request_tells_one_requests_story_in_order(stack: Stack) -> None:
    cluster_id, record = _requested(stack, "story")
    stack.click(BOB, str(record.message_ts), "approve_migration")
    stack.click(CAROL, str(record.message_ts), "approve_migration")
    wait_for(lambda: stack.settled(record.id), what="migrated and shown")

    shown = subprocess.run([str(ACKMIGRATE), "audit", "--request", record.id, "--json"], env=stack.process_env(),
                           capture_output=True, text=True, timeout=30)
    assert shown.returncode == 0, shown.stderr
    story = [json.loads(line) for line in shown.stdout.splitlines()]
    assert {entry["record_id"] for entry in story} == {record.id}
    events = [(e["event"], e["actor"]) for e in story if e["event"] not in ("job_started", "job_finished")]
    assert events[:3] == [("command", ALICE), ("requested", ALICE), ("approved", BOB)]
    assert ("approved", CAROL) in events
    calls = [e["details"].get("action") for e in story if e["event"] == "cloud_call"]
    assert "MigrateCluster" in calls
    assert [e["time"] for e in story] == sorted(e["time"] for e in story)


def _click_payload(user: str, channel: str, message_ts: str, record_id: str) -> dict[str, object]:
    """A correctly signed block_actions payload that names any channel and message (a crafted click)."""
    return {
        "type": "block_actions", "team": {"id": "T0SANDBOX", "domain": "sandbox"},
        "user": {"id": user, "team_id": "T0SANDBOX"}, "api_app_id": "A0ACKMIGRATE", "trigger_id": "1.2.3",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False},
        "channel": {"id": channel, "name": "elsewhere"},
        "actions": [{"type": "button", "action_id": "approve_migration", "block_id": "b", "value": record_id,
                     "action_ts": "1700000000.000001"}],
    }


def test_clicks_from_another_channel_or_message_are_refused_and_audited(stack: Stack) -> None:
    cluster_id, record = _requested(stack, "foreign-click")
    before = len(stack.private(BOB))

    assert stack.post_signed(_click_payload(BOB, "C0OTHER", str(record.message_ts), record.id)) == 200
    assert stack.post_signed(_click_payload(BOB, "C0PLATFORM", "1700000000.424242", record.id)) == 200

    refused = wait_for(lambda: (found := [e for e in stack.audit() if e["event"] == "refused"
                                          and e["record_id"] == record.id]) and len(found) == 2 and found,
                       what="both clicks refused and audited")
    assert {e["details"]["reason"] for e in refused} == {"foreign_click"}
    assert "not on this request's message" in _told(stack, BOB, 1, since=before)[-1]
    saved = stack.store.get(record.id)
    assert (saved.state, saved.approvers) == (State.AWAITING_APPROVAL, [])
    assert stack.migrate_calls(cluster_id) == []
