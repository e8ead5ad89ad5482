"""What people type into ackmigrate's forms, through `serve`, a worker and the Slack stand-in: the reject
dialog's limit held on the server, and the `/ackmigrate` modal (pick, error on the field, submit)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.processes import (
    ALICE,
    BOB,
    BUCKET,
    Stack,
    buttons,
    header,
    reason_submitted,
    running_stack,
    wait_for,
)
from workers.audit import AuditLog
from workers.domain.records import State

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack() as running:
        yield running


def test_a_crafted_4117_character_reject_reason_is_refused_on_its_field_and_nothing_is_stored_or_posted(
    stack: Stack,
) -> None:
    _, record_id, ts = stack.requested("reason-hz-1")
    stack.click(BOB, ts, "reject_migration")
    opened = wait_for(lambda: [v for v in stack.control.slack_views() if v["user"] == BOB], what="the Reject modal")
    reason = "x" * 4117  # the dialog's max_length is 500; Slack's clients hold it, a crafted request need not

    status, answer = stack.post_signed_answer(reason_submitted(BOB, opened[-1]["view"], reason))

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


def _open_modal(stack: Stack, user: str) -> str:
    """`user` types `/ackmigrate` alone; the id of the modal it opens."""
    before = {v["id"] for v in stack.control.slack_views()}
    answer = stack.slash(user, "")
    assert answer["body"] in ("", "{}"), "nothing is said in the channel: the modal is the answer"
    (opened,) = [v for v in stack.control.slack_views() if v["id"] not in before and v["user"] == user]
    assert opened["view"]["callback_id"] == "ackmigrate_form"
    return str(opened["id"])


def _labels(answer: dict[str, Any]) -> list[str]:
    return [str(o["text"]["text"]) for o in answer["options"]]


def test_the_modal_opens_picks_errors_on_a_field_and_submits_the_typed_commands_request(stack: Stack) -> None:
    chosen = stack.new_cluster("form-hz-1")["cluster_id"]
    stack.new_cluster("form-hz-2")
    stack.new_cluster("form-pro", cluster_type="ManagedKubernetes", cluster_spec="ack.pro.small")
    stack.control.create_bucket("form-elsewhere", "cn-shanghai")
    view_id = _open_modal(stack, ALICE)

    # The pickers answer from the cache a worker fills: "loading…" at first, then the region's clusters.
    listed = wait_for(lambda: (a := stack.control.view_options(ALICE, view_id, "cluster_select", "form"))
                      and any("form-hz-1" in label for label in _labels(a)) and a, what="the clusters listed")
    assert sorted(label.split(" ")[0] for label in _labels(listed)) == ["form-hz-1", "form-hz-2"], "dedicated only"
    by_id = stack.control.view_options(ALICE, view_id, "cluster_select", chosen[:14])
    assert [o["value"] for o in by_id["options"]] == [chosen]
    none = stack.control.view_options(ALICE, view_id, "cluster_select", "no-such-thing")
    assert _labels(none) == ["No dedicated clusters in cn-hangzhou match “no-such-thing”"]
    buckets = stack.control.view_options(ALICE, view_id, "bucket_select", "")
    assert [o["value"] for o in buckets["options"]] == [BUCKET], "only the buckets of the clusters' region"

    stack.control.view_pick(ALICE, view_id, "cluster_select", chosen, query="form-hz-1")
    stack.control.view_choose(ALICE, view_id, "what_choice", "migrate")
    refused = stack.control.view_submit(ALICE, view_id)
    assert (refused["closed"], refused["errors"]) == (
        False, {"bucket": "A migration needs a bucket in the cluster's region: pick one."})
    assert stack.record(chosen) is None, "nothing ran"

    stack.control.view_pick(ALICE, view_id, "bucket_select", BUCKET, query="ack-migrate")
    assert stack.control.view_submit(ALICE, view_id)["closed"] is True
    from_modal = stack.posted_request(chosen)
    shown = stack.message(str(from_modal.message_ts))
    said = wait_for(lambda: [t for t in stack.private(ALICE) if "with bucket" in t and chosen in t],
                    what="Alice told the request is on its way")
    stack.slash(ALICE, f"cancel {chosen}")
    wait_for(lambda: stack.settled(from_modal.id), what="the modal's request withdrawn")

    typed_answer = stack.slash(ALICE, f"migrate {chosen} --bucket {BUCKET}")
    typed = wait_for(lambda: (r := stack.posted_request(chosen)).id != from_modal.id and r, what="the typed request")
    assert (typed.kind, typed.cluster_id, typed.bucket, typed.requester, typed.channel) == (
        from_modal.kind, from_modal.cluster_id, from_modal.bucket, from_modal.requester, from_modal.channel)
    assert json.loads(typed_answer["body"])["text"] == said[-1], "the same answer, privately"
    assert header(stack.message(str(typed.message_ts))) == header(shown)
    assert buttons(shown) == ["approve_migration", "reject_migration"]
    commands = [e.details.get("command") for e in AuditLog(stack.store.redis).read()
                if e.event == "command" and e.actor == ALICE and chosen in str(e.details.get("command"))]
    assert commands[0] == commands[-1] == f"migrate {chosen} --bucket {BUCKET}"
    stack.slash(ALICE, f"cancel {chosen}")


def test_a_crafted_form_submission_is_answered_on_its_fields_and_runs_nothing(stack: Stack) -> None:
    cluster_id = stack.new_cluster("form-hz-3")["cluster_id"]
    view_id = _open_modal(stack, ALICE)
    (opened,) = [v for v in stack.control.slack_views() if v["id"] == view_id]
    values = {"cluster": {"cluster_select": {"type": "external_select", "selected_option": {"value": "-"}}},
              "bucket": {"bucket_select": {"type": "external_select", "selected_option": {"value": "Not_A_Bucket"}}},
              "what": {"what_choice": {"type": "radio_buttons", "selected_option": {"value": "release-ecs"}}}}
    payload = {"type": "view_submission", "team": {"id": "T0SANDBOX"}, "user": {"id": ALICE, "team_id": "T0SANDBOX"},
               "api_app_id": "A0ACKMIGRATE", "view": {**opened["view"], "id": view_id, "state": {"values": values}}}

    status, answer = stack.post_signed_answer(payload)

    assert status == 200
    assert set(json.loads(answer)["errors"]) == {"cluster", "bucket", "what"}
    time.sleep(0.5)
    assert stack.record(cluster_id) is None
