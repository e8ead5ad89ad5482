"""What people type into ackmigrate's forms, through `serve`, a worker and the Slack stand-in: the reject
dialog's limit held on the server, and the `/ackmigrate` modal (pick, error on the field, submit)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.processes import ALICE, BOB, BUCKET, Stack, buttons, running_stack, wait_for
from workers.audit import AuditLog
from workers.records import State

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack() as running:
        yield running


def _requested(stack: Stack, name: str) -> tuple[str, str, str]:
    cluster_id = stack.new_cluster(name)["cluster_id"]
    stack.slash(ALICE, f"migrate {name} --bucket {BUCKET}")
    record = stack.posted_request(cluster_id)
    return cluster_id, record.id, str(record.message_ts)


def test_a_crafted_4117_character_reject_reason_is_refused_on_its_field_and_nothing_is_stored_or_posted(
    stack: Stack,
) -> None:
    _, record_id, ts = _requested(stack, "reason-hz-1")
    stack.click(BOB, ts, "reject_migration")
    opened = wait_for(lambda: [v for v in stack.control.slack_views() if v["user"] == BOB], what="the Reject modal")
    reason = "x" * 4117  # the dialog's max_length is 500; Slack's clients hold it, a crafted request need not

    status, answer = stack.post_signed_answer(_reason_submitted(BOB, opened[-1]["view"], reason))

    assert status == 200
    assert json.loads(answer) == {"response_action": "errors",
                                  "errors": {"reason": "Keep the reason to 500 characters (it has 4117)."}}
    time.sleep(1.0)  # whatever an accepted rejection would have done (lazy listener, notify job) has had time
    record = stack.store.get(record_id)
    assert (record.state, record.decided_by, record.reason) == (State.AWAITING_APPROVAL, None, None)
    assert stack.thread_texts(ts) == [] and buttons(stack.message(ts)) == ["approve_migration", "reject_migration"]
    assert not any(reason[:100] in text for text in stack.private(BOB))
    assert [e.event for e in AuditLog(stack.store.redis).read() if e.record_id == record_id
            and e.event in ("rejected", "approved")] == []
    stack.slash(ALICE, "cancel reason-hz-1")


def _reason_submitted(user: str, view: dict[str, Any], reason: str) -> dict[str, Any]:
    """What Slack would send if `user` could type `reason` in the Reject modal and press Reject."""
    return {
        "type": "view_submission",
        "team": {"id": "T0SANDBOX", "domain": "sandbox"},
        "user": {"id": user, "team_id": "T0SANDBOX"},
        "api_app_id": "A0ACKMIGRATE",
        "view": {**view, "state": {"values": {"reason": {"reason_input": {
            "type": "plain_text_input", "value": reason}}}}},
    }
