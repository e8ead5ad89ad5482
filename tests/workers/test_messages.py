"""Slack messages drawn from records: what the channel shows in each state, valid as Slack checks it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from sandbox.slack_blocks import find_button, validate_blocks
from workers.checks.model import CheckResult, MasterInstance, Outcome, PrecheckReport, Severity
from workers.domain.records import Approval, Kind, Record, State
from workers.domain.results import CleanupResult, Failure, MigrationResult, OldMaster
from workers.ui import private_answers, request_message, status, thread_replies
from workers.ui.kit import Message

NOW = datetime(2026, 11, 20, 14, 9, tzinfo=UTC).timestamp()
AT_14_02 = datetime(2026, 11, 20, 14, 2, tzinfo=UTC).timestamp()
DOC = "https://www.alibabacloud.com/help/en/doc"


def _check(check_id: str, outcome: Outcome, summary: str, fix: str = "") -> CheckResult:
    return CheckResult(id=check_id, title=check_id.replace("-", " ").capitalize(), outcome=outcome,
                       severity=Severity.FAIL, summary=summary, fix=fix, doc_url=DOC if fix else "")


def _report(*checks: CheckResult) -> PrecheckReport:
    masters = tuple(MasterInstance(f"i-master{n}", f"cn-hangzhou.10.0.0.{n}", charge)
                    for n, charge in enumerate(("PostPaid", "PostPaid", "PrePaid"), 1))
    return PrecheckReport(
        cluster_id="c82e6987e2961", cluster_name="prod-hz-1", region_id="cn-hangzhou",
        current_version="1.22.15-aliyun.1", cluster_type="Kubernetes", cluster_spec="", state="running",
        master_count=3, worker_count=12, bucket="ack-migrate-hz", bucket_endpoint="oss-cn-hangzhou",
        masters=masters,
        checks=checks or (_check("cluster-type", Outcome.PASS, "Dedicated cluster, running"),
                          _check("cgpu", Outcome.WARN, "cGPU Basic found (DaemonSet cgpu-installer)",
                                 "Upgrade to cGPU Professional after the migration.")),
    )


def _record(state: State = State.AWAITING_APPROVAL, *, kind: Kind = Kind.MIGRATION, **changes: Any) -> Record:
    values: dict[str, Any] = {
        "id": "m-0123456789ab" if kind is Kind.MIGRATION else "c-0123456789ab", "kind": kind,
        "cluster_id": "c82e6987e2961", "cluster_name": "prod-hz-1", "region": "cn-hangzhou",
        "requester": "U0ALICE", "channel": "C0PLATFORM", "state": state, "created_at": NOW - 600,
        "updated_at": NOW - 60, "expires_at": NOW + 42 * 60, "bucket": "ack-migrate-hz",
        "precheck": _report(),
    }
    values.update(changes)
    return Record(**values)


def _request(record: Record) -> Message:
    message = request_message.request_message(record, approvers_label="<!subteam^S0LEADS>", two_person_rule=True,
                                       now=NOW)
    _assert_slack_accepts(message)
    return message


def _assert_slack_accepts(message: Message) -> None:
    """Valid for slack_sdk's models and for the stricter checks Slack itself makes."""
    assert message.text
    assert 0 < len(message.blocks) <= 50
    for block in message.blocks:
        model = Block.parse(block)
        assert model is not None
        model.validate_json()
    validate_blocks(message.blocks)


def _mrkdwn(message: Message) -> str:
    """Everything Slack parses as mrkdwn: the fallback text and every mrkdwn text object."""
    found: list[str] = [message.text]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.blocks)
    return "\n".join(found)


def _action_ids(message: Message) -> list[str]:
    return [e["action_id"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def test_awaiting_approval_shows_approve_with_confirm_and_reject_carrying_the_record_id() -> None:
    message = _request(_record())

    found = find_button(message.blocks, "approve_migration")
    assert found is not None
    approve = found[1]
    assert approve["value"] == "m-0123456789ab"
    assert approve["style"] == "primary"
    assert "cannot be undone" in approve["confirm"]["text"]["text"]
    assert _action_ids(message) == ["approve_migration", "reject_migration"]
    text = _mrkdwn(message)
    assert "Requested by <@U0ALICE>" in text
    assert "Kubernetes 1.22.15-aliyun.1" in text and "3 masters, 12 workers" in text
    assert "Bucket: *ack-migrate-hz* (oss-cn-hangzhou)" in text
    assert "Expires in 42 min" in text
    assert "✅ 1 passed · ⚠️ 1 warning · ❌ 0 failed" in text
    assert "cannot be rolled back" in text and "10–15 minutes" in text and "until cleanup" in text
    assert "<@U0ALICE> cannot approve" in text and "<!subteam^S0LEADS>" in text


@pytest.mark.parametrize("state", [s for s in State if s is not State.AWAITING_APPROVAL])
def test_no_approval_buttons_outside_awaiting_approval(state: State) -> None:
    message = _request(_record(state, decided_by="U0BOB", decided_at=AT_14_02))

    assert "approve_migration" not in _action_ids(message)
    assert "reject_migration" not in _action_ids(message)


def test_blocked_request_lists_failures_first_with_fixes_and_has_no_approve_button() -> None:
    report = _report(
        _check("cluster-type", Outcome.PASS, "Dedicated cluster, running"),
        _check("slb-spec", Outcome.FAIL, "API server SLB lb-bp1 is a shared-resource instance",
               "Upgrade the SLB to slb.s1.small or higher."),
        _check("cloud-assistant", Outcome.ERROR, "ECS DescribeCloudAssistantStatus failed: Forbidden",
               "Grant ecs:DescribeCloudAssistantStatus to the bot's RAM user."),
    )
    message = _request(_record(State.BLOCKED, precheck=report, expires_at=None))

    assert _action_ids(message) == []
    text = _mrkdwn(message)
    assert "Fix the failures and run /ackmigrate migrate again." in text
    assert text.index("❌ *Slb spec*") < text.index("❗ *Cloud assistant*") < text.index("✅ *Cluster type*")
    assert f"↳ Upgrade the SLB to slb.s1.small or higher. <{DOC}|doc>" in text
    assert "❗ 1 could not be checked" in text


def test_user_typed_channel_mention_never_reaches_slack_as_a_mention() -> None:
    record = _record(cluster_name="<!channel>", bucket="<!here>", reason="<@U0EVIL> & <http://x|y>")
    for state in (State.AWAITING_APPROVAL, State.REJECTED, State.FAILED):
        moved = _in_state(record, state)
        rendered = [_request(moved), thread_replies.failure_reply(moved),
                    status.status_detail(moved, now=NOW, permalink=None)]
        for message in rendered:
            text = _mrkdwn(message)
            assert "<!channel>" not in text and "<!here>" not in text and "<@U0EVIL>" not in text
            assert "<http://x|y>" not in text
    assert "&lt;!channel&gt;" in _mrkdwn(_request(record))


def _in_state(record: Record, state: State) -> Record:
    return Record.from_dict({**record.to_dict(), "state": state})


def test_approved_message_says_who_approved_at_a_time_each_reader_sees_in_their_zone() -> None:
    message = _request(_record(State.APPROVED, decided_by="U0BOB", decided_at=AT_14_02))

    assert f"Approved by <@U0BOB> at <!date^{int(AT_14_02)}^{{time}}|14:02 UTC>" in _mrkdwn(message)
    assert message.blocks[0]["text"]["text"].startswith("👍  Migration approved — prod-hz-1")


def test_migrating_message_shows_stage_elapsed_time_and_task() -> None:
    record = _record(State.MIGRATING, decided_by="U0BOB", decided_at=AT_14_02, started_at=AT_14_02,
                     task_id="T-62cc", stage=3, stage_total=5, stage_name="Migrating control plane")

    text = _mrkdwn(_request(record))

    assert "Stage 3/5 Migrating control plane · 7 min elapsed · task `T-62cc`" in text


def test_succeeded_migration_offers_cleanup_until_one_is_requested() -> None:
    done = _record(State.SUCCEEDED, decided_by="U0BOB", decided_at=AT_14_02, started_at=AT_14_02,
                   finished_at=AT_14_02 + 14 * 60)

    offered = _request(done)
    found = find_button(offered.blocks, "request_cleanup")
    assert found is not None and found[1]["value"] == done.id
    assert found[1]["text"]["text"] == "Clean up old masters"
    assert "3 old masters are Unknown" in _mrkdwn(offered)
    assert "(2 pay-as-you-go, 1 subscription)" in _mrkdwn(offered)

    requested = _request(_record(State.SUCCEEDED, result=MigrationResult(cleanup_id="c-1")))
    assert _action_ids(requested) == []


def test_cleanup_request_lists_nodes_and_warns_when_ecs_instances_will_be_released() -> None:
    cleanup = _record(kind=Kind.CLEANUP, release_ecs=True, parent_id="m-0123456789ab")

    message = _request(cleanup)

    assert _action_ids(message) == ["approve_cleanup", "reject_cleanup"]
    found = find_button(message.blocks, "approve_cleanup")
    assert found is not None
    confirm = found[1]["confirm"]["text"]["text"]
    assert "Deletes 3 master nodes" in confirm and "RELEASES" in confirm
    text = _mrkdwn(message)
    assert "*Nodes to delete:* cn-hangzhou.10.0.0.1, cn-hangzhou.10.0.0.2, cn-hangzhou.10.0.0.3" in text
    assert "will be *RELEASED* (pay-as-you-go, ECS DeleteInstances) — i-master1, i-master2" in text
    assert "*Not released by ackmigrate:* i-master3 (subscription)" in text


def test_cleanup_that_keeps_instances_says_they_are_still_billed() -> None:
    text = _mrkdwn(_request(_record(kind=Kind.CLEANUP, release_ecs=False)))
    assert "kept, and still billed" in text


def test_stage_reply_names_the_stage_and_warns_when_the_api_server_is_down() -> None:
    record = _record(State.MIGRATING, stage=3, stage_total=5, stage_name="Migrating control plane")
    assert thread_replies.stage_reply(record) == "Stage 3/5: Migrating control plane (API server unavailable now)"
    record.stage_name = "Backing up etcd"
    record.stage = 2
    assert thread_replies.stage_reply(record) == "Stage 2/5: Backing up etcd"


def test_only_the_control_plane_move_warns_and_never_twice() -> None:
    record = _record(State.MIGRATING, stage=4, stage_total=5,
                     stage_name="Switching the API server endpoint to the managed control plane")
    assert thread_replies.stage_reply(record).endswith("managed control plane")
    record.stage, record.stage_name = 3, "Migrating the control plane to ACK Pro; the API server is unavailable"
    assert thread_replies.stage_reply(record).count("unavailable") == 1


def test_success_reply_gives_duration_next_steps_and_cleanup_button() -> None:
    record = _record(State.SUCCEEDED, started_at=AT_14_02, finished_at=AT_14_02 + 14 * 60)

    reply = thread_replies.success_reply(record)

    _assert_slack_accepts(reply)
    assert reply.text.startswith("✅ prod-hz-1 is now ACK Pro (ack.pro.small) — 14 min.")
    assert "Upgrade to cGPU Professional after the migration." in reply.text
    assert find_button(reply.blocks, "request_cleanup") is not None


def test_failure_after_the_cloud_was_touched_says_nothing_was_rolled_back_and_quotes_the_task() -> None:
    record = _record(State.FAILED, migrate_called_at=AT_14_02, task_id="T-62cc", stage=3, stage_total=5,
                     reason="ACK: MigrationFailed: etcd backup upload denied",
                     result=MigrationResult(failure=Failure(cluster_state="failed", request_id="4A1F")))

    reply = thread_replies.failure_reply(record)

    _assert_slack_accepts(reply)
    assert reply.text.startswith("❌ Migration of prod-hz-1 failed at stage 3/5: ACK: MigrationFailed")
    assert "The cluster state is `failed`." in reply.text
    assert "Nothing was rolled back by ackmigrate (it cannot be)." in reply.text
    assert "task id `T-62cc` and request id `4A1F`" in reply.text


def test_failure_before_the_cloud_was_touched_says_the_cluster_is_unchanged() -> None:
    reply = thread_replies.failure_reply(_record(State.FAILED, reason="The bucket disappeared."))
    assert "Nothing was changed on the cluster." in reply.text
    assert "run /ackmigrate migrate again" in reply.text


def test_precheck_message_says_ready_or_what_to_fix() -> None:
    ready = private_answers.precheck_message(_report(), "prod-hz-1")
    failing = private_answers.precheck_message(
        _report(_check("k8s-version", Outcome.FAIL, "Kubernetes 1.14 is older than 1.16", "Upgrade first.")),
        "prod-hz-1",
    )

    for message in (ready, failing):
        _assert_slack_accepts(message)
    assert "✅ Ready" in _mrkdwn(ready)
    assert "❌ Not ready: fix the 1 failure above" in _mrkdwn(failing)
    assert "Kubernetes 1.14 is older than 1.16" in _mrkdwn(failing)


def test_status_overview_lists_in_flight_then_recent_with_thread_links() -> None:
    flying = _record(State.MIGRATING, decided_by="U0BOB", started_at=NOW - 7 * 60, stage=3, stage_total=5)
    waiting = _record(cluster_name="prod-sh-2", id="m-waiting00000", requester="U0CAROL")
    failed = _record(State.FAILED, id="m-failed000000", cluster_name="stg-bj-3", stage=2, stage_total=5)
    message = status.status_overview([flying, waiting], [failed], now=NOW,
                                       permalinks={flying.id: "https://slack.test/archives/C0/p1"})

    _assert_slack_accepts(message)
    text = _mrkdwn(message)
    link = "<https://slack.test/archives/C0/p1|thread>"
    assert f"🚚 *prod-hz-1*   stage 3/5   7 min   <@U0ALICE> → <@U0BOB>   {link}" in text
    assert "⏳ *prod-sh-2*   awaiting approval (42 min left)   <@U0CAROL>" in text
    assert f"❌ *stg-bj-3*   failed at stage 2   <!date^{int(failed.updated_at)}^{{date_num}}|2026-11-20>" in text
    order = [text.index(part) for part in ("*In flight*", "prod-sh-2", "*Recent results*", "stg-bj-3")]
    assert order == sorted(order)


def test_status_overview_with_nothing_says_so() -> None:
    message = status.status_overview([], [], now=NOW, permalinks={})
    assert "Nothing in flight." in _mrkdwn(message) and "Nothing finished recently." in _mrkdwn(message)


def test_status_detail_shows_one_request_without_buttons() -> None:
    message = status.status_detail(_record(), now=NOW, permalink="https://slack.test/p2")
    _assert_slack_accepts(message)
    assert _action_ids(message) == []
    assert "awaiting approval (42 min left)" in _mrkdwn(message)
    assert "<https://slack.test/p2|Open the request thread>" in _mrkdwn(message)


def test_cluster_list_shows_name_id_version_and_readiness() -> None:
    message = private_answers.cluster_list([
        {"name": "prod-hz-1", "cluster_id": "c82e", "version": "1.22.15", "readiness": "ready"},
        {"name": "<!channel>", "cluster_id": "c99", "version": "1.14.8", "readiness": "blocked"},
        {"name": "prod-hz-2", "cluster_id": "c83", "version": "1.22.15", "readiness": "blocked",
         "blocking": ["slb-spec", "master-pods"], "could_not_run": ["master-pods"]},
        {"name": "prod-hz-3", "cluster_id": "c84", "version": "1.22.15", "readiness": "unknown", "reason": "Throttling"},
    ])
    _assert_slack_accepts(message)
    text = _mrkdwn(message)
    assert "• *prod-hz-1*  `c82e`  Kubernetes 1.22.15  ·  ready" in text
    assert "• *prod-hz-2*  `c83`  Kubernetes 1.22.15  ·  blocked: slb-spec, master-pods (could not run)" in text
    assert "• *prod-hz-3*  `c84`  Kubernetes 1.22.15  ·  unknown (Throttling)" in text
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text


def test_huge_reports_stay_within_slack_limits() -> None:
    checks = tuple(_check(f"check-{n}", Outcome.FAIL, "pod on master: " + "x" * 390, "Move it.")
                   for n in range(300))
    message = _request(_record(State.BLOCKED, precheck=_report(*checks)))
    assert len(json.dumps(message.blocks)) > 50_000  # the report really was too big for one section
    text = _mrkdwn(message)
    assert "Fix the failures and run /ackmigrate migrate again." in text
    assert "more checks: `ackmigrate precheck` in a terminal lists them all." in text
    rows = [{"name": f"cluster-{n}", "cluster_id": f"c{n}", "version": "1.22", "readiness": "ready"}
            for n in range(2_000)]
    _assert_slack_accepts(private_answers.cluster_list(rows))


def test_cleanup_success_says_which_instances_were_released_and_which_are_still_billed() -> None:
    record = _record(State.DONE, kind=Kind.CLEANUP, result=CleanupResult(
        nodes_deleted=("cn-hangzhou.10.0.0.1", "cn-hangzhou.10.0.0.2"),
        instances_released=("i-master1",), still_billed=(OldMaster("i-master2"),),
    ))

    reply = thread_replies.success_reply(record)

    _assert_slack_accepts(reply)
    assert "deleted 2 old master nodes (cn-hangzhou.10.0.0.1, cn-hangzhou.10.0.0.2)" in reply.text
    assert "Released through ECS DeleteInstances (pay-as-you-go): i-master1." in reply.text
    assert "Still running and billed (not released): i-master2." in reply.text


def test_cleanup_success_names_the_console_step_for_subscription_instances_and_claims_nothing_else() -> None:
    master3 = OldMaster("i-master3", charge_type="PrePaid")
    record = _record(State.DONE, kind=Kind.CLEANUP, release_ecs=True, result=CleanupResult(
        nodes_deleted=("cn-hangzhou.10.0.0.3",), instances_gone=("i-master1",),
        needs_console=(master3,), still_billed=(master3,),
    ))

    reply = thread_replies.success_reply(record)

    _assert_slack_accepts(reply)
    assert "Released through" not in reply.text
    assert "Already released before this cleanup (ECS no longer lists them): i-master1." in reply.text
    assert "*Not released, still billed:* i-master3 (subscription)." in reply.text
    assert "Change Billing Method → Switch to Pay-as-you-go, then ⋮ → Release" in reply.text
    assert "Still running and billed" not in reply.text, "the subscription instance is named once, with its step"


@pytest.mark.parametrize("state", [State.APPROVED, State.MIGRATING])
def test_the_loser_of_an_approval_race_is_told_who_approved_whether_or_not_the_migration_has_started(
    state: State,
) -> None:
    record = _record(state, approvals=[Approval(user="U0BOB", at=NOW)], approvals_required=1, decided_by="U0BOB")

    told = private_answers.approval_not_counted(record, "U0CAROL")

    assert told.startswith("This request was already approved by <@U0BOB>"), told
    assert told.endswith("your click changed nothing.")


def test_an_approval_on_a_rejected_request_says_what_it_is() -> None:
    record = _record(State.REJECTED, decided_by="U0DAVE")

    assert private_answers.approval_not_counted(record, "U0CAROL") == (
        "This request is rejected; your approval was not counted.")
