"""Slack's side of a conversation: signed slash commands and clicks delivered to the bot, and what follows.

"The bot" here is a real HTTP server on a free port that records what it receives; the signature is
checked with slack_sdk's own SignatureVerifier (what Bolt uses), and response_url posts go through
slack_sdk's WebhookClient (what Bolt's `respond` uses).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from sandbox.client import SandboxControlError
from tests.sandbox.slack_fixtures import (
    APPROVAL_BLOCKS,
    SIGNING_SECRET,
    BotAnswer,
    Delivery,
    RecordingBot,
    SlackStandIn,
)


def signature_is_valid(delivery: Delivery, secret: str = SIGNING_SECRET) -> bool:
    return SignatureVerifier(secret).is_valid(
        body=delivery.body,
        timestamp=delivery.headers["x-slack-request-timestamp"],
        signature=delivery.headers["x-slack-signature"],
    )


def post_approval_request(slack: SlackStandIn) -> str:
    return str(slack.web_client().chat_postMessage(channel="C0PLATFORM", text="Approval", blocks=APPROVAL_BLOCKS)["ts"])


# --- slash commands ------------------------------------------------------------------------------------------


def test_a_slash_command_arrives_signed_with_the_fields_slack_sends(slack: SlackStandIn, bot: RecordingBot) -> None:
    result = slack.control.slash("U0ALICE", "C0PLATFORM", "migrate prod-hz-1 --bucket ack-migrate-hz")

    [delivery] = bot.deliveries
    form = delivery.form
    assert delivery.path == "/slack/events"
    assert delivery.headers["content-type"] == "application/x-www-form-urlencoded"
    assert signature_is_valid(delivery)
    assert not signature_is_valid(delivery, secret="some-other-apps-secret")
    assert form["command"] == "/ackmigrate"
    assert form["text"] == "migrate prod-hz-1 --bucket ack-migrate-hz"
    assert (form["user_id"], form["user_name"]) == ("U0ALICE", "alice")
    assert (form["channel_id"], form["channel_name"]) == ("C0PLATFORM", "platform-ops")
    assert form["team_id"] == "T0SANDBOX"
    assert form["response_url"] == result["response_url"]
    assert form["response_url"].startswith(slack.url + "/response/")
    assert form["trigger_id"] == result["trigger_id"]
    assert result["status"] == 200


def test_the_bots_immediate_text_answer_is_shown_only_to_the_person_who_typed(
    slack: SlackStandIn, bot: RecordingBot
) -> None:
    bot.answer = BotAnswer(body="Checking prod-hz-1…")

    slack.control.slash("U0ALICE", "C0PLATFORM", "precheck prod-hz-1")

    [answer] = slack.control.slack_ephemeral(user="U0ALICE")
    assert (answer["text"], answer["channel"], answer["source"]) == ("Checking prod-hz-1…", "C0PLATFORM",
                                                                     "command_response")
    assert slack.control.slack_ephemeral(user="U0BOB") == []
    assert slack.control.slack_messages("C0PLATFORM") == []


def test_an_in_channel_json_answer_is_posted_for_everyone(slack: SlackStandIn, bot: RecordingBot) -> None:
    bot.answer = BotAnswer(body=json.dumps({"response_type": "in_channel", "text": "Migration requested"}),
                           content_type="application/json")

    slack.control.slash("U0ALICE", "C0PLATFORM", "migrate prod-hz-1 --bucket b")

    assert [m["text"] for m in slack.control.slack_messages("C0PLATFORM")] == ["Migration requested"]


def test_an_empty_ack_shows_nothing(slack: SlackStandIn, bot: RecordingBot) -> None:
    slack.control.slash("U0ALICE", "C0PLATFORM", "status")

    assert slack.control.slack_ephemeral(user="U0ALICE") == []
    assert slack.control.slack_messages("C0PLATFORM") == []


def test_a_bot_that_answers_500_leaves_the_user_with_slackbots_dispatch_failed(
    slack: SlackStandIn, bot: RecordingBot
) -> None:
    bot.answer = BotAnswer(status=500, body="boom")

    result = slack.control.slash("U0ALICE", "C0PLATFORM", "status")

    [notice] = slack.control.slack_ephemeral(user="U0ALICE")
    assert result["status"] == 500
    assert notice["sender"] == "USLACKBOT"
    assert notice["text"] == '/ackmigrate failed with the error "dispatch_failed"'


def test_a_bot_that_is_not_listening_leaves_the_user_with_dispatch_failed(slack: SlackStandIn) -> None:
    slack.control.set_request_url("http://127.0.0.1:9/slack/events")  # the discard port: nothing answers

    result = slack.control.slash("U0ALICE", "C0PLATFORM", "status")

    assert result["status"] is None
    assert "could not reach" in result["error"]
    assert [e["text"] for e in slack.control.slack_ephemeral(user="U0ALICE")] == [
        '/ackmigrate failed with the error "dispatch_failed"'
    ]


def test_a_command_from_someone_outside_the_channel_is_refused(slack: SlackStandIn, bot: RecordingBot) -> None:
    slack.world.slack.channels["C0PLATFORM"].members.discard("U0DAVE")

    with pytest.raises(SandboxControlError, match="not in #platform-ops"):
        slack.control.slash("U0DAVE", "C0PLATFORM", "status")

    assert bot.deliveries == []


def test_without_a_request_url_nothing_can_be_delivered(slack: SlackStandIn, bot: RecordingBot) -> None:
    slack.control.set_request_url(None)

    with pytest.raises(SandboxControlError, match="no request URL configured"):
        slack.control.slash("U0ALICE", "C0PLATFORM", "status")

    assert bot.deliveries == []


# --- response_url ------------------------------------------------------------------------------------------


def test_a_commands_response_url_answers_privately_or_in_channel(slack: SlackStandIn) -> None:
    response_url = slack.control.slash("U0ALICE", "C0PLATFORM", "precheck prod-hz-1")["response_url"]
    respond = WebhookClient(response_url)

    private = respond.send(text="3 checks passed, 1 warning", response_type="ephemeral")
    public = respond.send(text="prod-hz-1 is ready to migrate", response_type="in_channel")

    assert (private.status_code, public.status_code) == (200, 200)
    assert [e["text"] for e in slack.control.slack_ephemeral(user="U0ALICE")] == ["3 checks passed, 1 warning"]
    assert [m["text"] for m in slack.control.slack_messages("C0PLATFORM")] == ["prod-hz-1 is ready to migrate"]


def test_a_response_url_works_five_times_and_then_refuses(slack: SlackStandIn) -> None:
    respond = WebhookClient(slack.control.slash("U0ALICE", "C0PLATFORM", "status")["response_url"])

    statuses = [respond.send(text=f"update {n}").status_code for n in range(6)]

    assert statuses == [200] * 5 + [404]
    assert len(slack.control.slack_ephemeral(user="U0ALICE")) == 5


def test_a_response_url_refuses_blocks_slack_would_refuse(slack: SlackStandIn) -> None:
    respond = WebhookClient(slack.control.slash("U0ALICE", "C0PLATFORM", "status")["response_url"])

    answer = respond.send(text="x", blocks=[{"type": "section"}])

    assert answer.status_code == 400
    assert json.loads(answer.body)["error"] == "invalid_blocks"
    assert slack.control.slack_ephemeral(user="U0ALICE") == []


# --- clicks ----------------------------------------------------------------------------------------------------


def test_a_click_arrives_as_a_signed_block_actions_payload(slack: SlackStandIn, bot: RecordingBot) -> None:
    ts = post_approval_request(slack)

    result = slack.control.click("U0BOB", "C0PLATFORM", ts, "approve_migration")

    [delivery] = bot.deliveries
    payload = json.loads(delivery.form["payload"])
    action = payload["actions"][0]
    assert signature_is_valid(delivery)
    assert payload["type"] == "block_actions"
    assert payload["user"]["id"] == "U0BOB"
    assert (action["action_id"], action["value"], action["block_id"]) == ("approve_migration", "req-1", "decision")
    assert payload["container"] == {"type": "message", "message_ts": ts, "channel_id": "C0PLATFORM",
                                    "is_ephemeral": False}
    assert payload["channel"]["id"] == "C0PLATFORM"
    assert payload["message"]["ts"] == ts
    (actions,) = [block for block in payload["message"]["blocks"] if block["type"] == "actions"]
    assert actions["elements"][0]["action_id"] == "approve_migration"
    assert payload["response_url"] == result["response_url"]
    assert payload["trigger_id"] == result["trigger_id"]


def test_a_click_on_a_button_that_is_not_on_the_message_is_refused(slack: SlackStandIn, bot: RecordingBot) -> None:
    ts = post_approval_request(slack)

    with pytest.raises(SandboxControlError) as excinfo:
        slack.control.click("U0BOB", "C0PLATFORM", ts, "approve_cleanup")

    assert "409" in str(excinfo.value)
    assert "approve_migration, reject_migration" in str(excinfo.value)
    assert bot.deliveries == []


def test_a_button_removed_by_an_update_can_no_longer_be_clicked(slack: SlackStandIn, bot: RecordingBot) -> None:
    ts = post_approval_request(slack)
    slack.web_client().chat_update(
        channel="C0PLATFORM", ts=ts, text="Approved",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "Approved by <@U0BOB>"}}],
    )

    with pytest.raises(SandboxControlError, match="has no button 'approve_migration'"):
        slack.control.click("U0CAROL", "C0PLATFORM", ts, "approve_migration")

    assert bot.deliveries == []


def test_a_click_on_a_message_that_does_not_exist_is_refused(slack: SlackStandIn, bot: RecordingBot) -> None:
    with pytest.raises(SandboxControlError, match="no message 1700000000.000001"):
        slack.control.click("U0BOB", "C0PLATFORM", "1700000000.000001", "approve_migration")

    assert bot.deliveries == []


def test_a_button_on_a_private_message_can_be_clicked_only_by_the_person_who_sees_it(
    slack: SlackStandIn, bot: RecordingBot
) -> None:
    ts = slack.web_client().chat_postEphemeral(
        channel="C0PLATFORM", user="U0ALICE", text="Open a cleanup request?", blocks=APPROVAL_BLOCKS
    )["message_ts"]

    with pytest.raises(SandboxControlError, match="that @bob can see"):
        slack.control.click("U0BOB", "C0PLATFORM", ts, "approve_migration")
    response_url = slack.control.click("U0ALICE", "C0PLATFORM", ts, "approve_migration")["response_url"]
    WebhookClient(response_url).send(text="Cleanup requested", replace_original=True)

    [delivery] = bot.deliveries
    payload = json.loads(delivery.form["payload"])
    assert payload["container"]["is_ephemeral"] is True
    assert "message" not in payload  # Slack does not echo a private message back
    assert [e["text"] for e in slack.control.slack_ephemeral(user="U0ALICE")] == ["Cleanup requested"]


def test_replace_original_through_a_clicks_response_url_edits_the_clicked_message(slack: SlackStandIn) -> None:
    ts = post_approval_request(slack)
    response_url = slack.control.click("U0BOB", "C0PLATFORM", ts, "approve_migration")["response_url"]

    answer = WebhookClient(response_url).send(
        text="Approved by <@U0BOB>", replace_original=True,
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "Approved by <@U0BOB>"}}],
    )

    [shown] = slack.control.slack_messages("C0PLATFORM")
    assert answer.status_code == 200
    assert (shown["ts"], shown["text"]) == (ts, "Approved by <@U0BOB>")
    assert [e["text"] for e in shown["edits"]] == ["Approval"]


def test_delete_original_through_a_clicks_response_url_removes_the_message(slack: SlackStandIn) -> None:
    ts = post_approval_request(slack)
    response_url = slack.control.click("U0BOB", "C0PLATFORM", ts, "reject_migration")["response_url"]

    WebhookClient(response_url).send_dict({"delete_original": True})

    assert slack.control.slack_messages("C0PLATFORM") == []


def test_a_clicks_trigger_id_opens_one_modal(slack: SlackStandIn) -> None:
    ts = post_approval_request(slack)
    trigger_id = slack.control.click("U0BOB", "C0PLATFORM", ts, "reject_migration")["trigger_id"]
    modal = {"type": "modal", "callback_id": "reject_reason", "title": {"type": "plain_text", "text": "Reject"},
             "blocks": [{"type": "input", "block_id": "reason", "label": {"type": "plain_text", "text": "Why?"},
                         "element": {"type": "plain_text_input", "action_id": "reason"}}]}
    client = slack.web_client()

    client.views_open(trigger_id=trigger_id, view=modal)
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=trigger_id, view=modal)

    [opened] = slack.control.slack_views()
    assert (opened["user"], opened["view"]["callback_id"]) == ("U0BOB", "reject_reason")
    assert excinfo.value.response["error"] == "expired_trigger_id"


def test_every_delivery_is_listed_with_what_the_bot_answered(slack: SlackStandIn, bot: RecordingBot) -> None:
    bot.answer = BotAnswer(body="ok")
    ts = post_approval_request(slack)
    slack.control.slash("U0ALICE", "C0PLATFORM", "status")
    slack.control.click("U0BOB", "C0PLATFORM", ts, "approve_migration")

    deliveries = slack.control.slack_deliveries()

    assert [(d["kind"], d["status"], d["body"]) for d in deliveries] == [
        ("command", 200, "ok"), ("block_actions", 200, "ok")
    ]
    assert deliveries[0]["request"]["text"] == "status"
    assert deliveries[1]["payload"]["actions"][0]["action_id"] == "approve_migration"


# --- the same through the whole sandbox ---------------------------------------------------------------------


def test_the_whole_sandbox_points_slack_sdk_and_deliveries_where_its_env_says(
    sandbox: Any, bot: RecordingBot
) -> None:
    env = sandbox.env()
    control = sandbox.control  # on the ACK endpoint, as rehearsal scripts use it
    control.set_request_url(bot.url)
    client = WebClient(token=env["SLACK_BOT_TOKEN"], base_url=env["SLACK_API_URL"])

    ts = client.chat_postMessage(channel="C0PLATFORM", text="Approval", blocks=APPROVAL_BLOCKS)["ts"]
    control.click("U0BOB", "C0PLATFORM", ts, "approve_migration")

    [delivery] = bot.deliveries
    assert signature_is_valid(delivery, secret=env["SLACK_SIGNING_SECRET"])
    assert json.loads(delivery.form["payload"])["response_url"].startswith(env["SLACK_API_URL"].removesuffix("api/"))
    assert [c["action"] for c in control.calls(service="slack")] == ["chat.postMessage"]
