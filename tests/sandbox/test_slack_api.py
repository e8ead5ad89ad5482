"""The Slack Web API stand-in, driven by slack_sdk's real WebClient exactly as the bot drives Slack."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.web import SlackResponse

from tests.sandbox.slack_fixtures import APPROVAL_BLOCKS, SlackStandIn


@pytest.fixture
def slack(slack_server: SlackStandIn) -> SlackStandIn:
    return slack_server.reset()


def slack_error(excinfo: pytest.ExceptionInfo[SlackApiError]) -> str:
    response: SlackResponse = excinfo.value.response
    return str(response["error"])


# --- identity and people ---------------------------------------------------------------------------------


def test_auth_test_names_the_bot_and_the_team(slack: SlackStandIn) -> None:
    answer = slack.web_client().auth_test()

    assert answer["ok"] is True
    assert answer["user_id"] == "U0ACKBOT"
    assert answer["bot_id"] == "B0ACKBOT"
    assert answer["team_id"] == "T0SANDBOX"


def test_a_wrong_token_is_refused_with_invalid_auth(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        slack.web_client(token="xoxb-not-the-bot").auth_test()

    assert slack_error(excinfo) == "invalid_auth"
    assert excinfo.value.response.status_code == 200  # Slack reports API errors with HTTP 200


def test_users_info_returns_the_person_and_unknown_users_are_user_not_found(slack: SlackStandIn) -> None:
    client = slack.web_client()

    bob = client.users_info(user="U0BOB")["user"]
    with pytest.raises(SlackApiError) as excinfo:
        client.users_info(user="U0NOBODY")

    assert (bob["id"], bob["name"], bob["real_name"]) == ("U0BOB", "bob", "Bob Martin")
    assert bob["profile"]["email"] == "bob@example.com"
    assert slack_error(excinfo) == "user_not_found"


def test_usergroup_members_of_the_platform_leads_are_bob_and_carol(slack: SlackStandIn) -> None:
    client = slack.web_client()

    users = client.usergroups_users_list(usergroup="S0PLATFORM")["users"]
    with pytest.raises(SlackApiError) as excinfo:
        client.usergroups_users_list(usergroup="S0NOSUCH")

    assert users == ["U0BOB", "U0CAROL"]
    assert slack_error(excinfo) == "no_such_subteam"


def test_conversations_info_says_whether_the_bot_is_a_member(slack: SlackStandIn) -> None:
    client = slack.web_client()

    platform = client.conversations_info(channel="C0PLATFORM")["channel"]
    other = client.conversations_info(channel="C0OTHER")["channel"]
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_info(channel="C0MISSING")

    assert (platform["name"], platform["is_member"]) == ("platform-ops", True)
    assert (other["name"], other["is_member"]) == ("random", False)
    assert slack_error(excinfo) == "channel_not_found"


# --- posting and updating ----------------------------------------------------------------------------------


def test_a_posted_message_is_what_the_channel_shows(slack: SlackStandIn) -> None:
    posted = slack.web_client().chat_postMessage(channel="C0PLATFORM", text="Migration request", blocks=APPROVAL_BLOCKS)

    shown = slack.control.slack_messages("C0PLATFORM")
    assert posted["channel"] == "C0PLATFORM"
    assert [m["ts"] for m in shown] == [posted["ts"]]
    assert shown[0]["text"] == "Migration request"
    assert shown[0]["user"] == "U0ACKBOT"
    assert [b["type"] for b in shown[0]["blocks"]] == ["header", "section", "actions"]
    assert shown[0]["blocks"][2]["elements"][0]["action_id"] == "approve_migration"
    assert posted["message"]["blocks"][2]["block_id"] == "decision"


def test_posting_where_the_bot_was_not_invited_is_not_in_channel(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        slack.web_client().chat_postMessage(channel="C0OTHER", text="hello")

    assert slack_error(excinfo) == "not_in_channel"
    assert slack.control.slack_messages("C0OTHER") == []


def test_posting_to_an_unknown_channel_is_channel_not_found(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        slack.web_client().chat_postMessage(channel="C0NOSUCH", text="hello")

    assert slack_error(excinfo) == "channel_not_found"


@pytest.mark.parametrize(
    ("case", "blocks"),
    [
        ("button label over 75 characters",
         [{"type": "actions", "elements": [{"type": "button", "action_id": "a",
                                             "text": {"type": "plain_text", "text": "x" * 76}}]}]),
        ("header over 150 characters", [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]),
        ("unknown block type", [{"type": "not_a_block", "text": "hi"}]),
        ("unknown field", [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}, "colour": "red"}]),
        ("empty text", [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}]),
        ("duplicate block_id", [{"type": "divider", "block_id": "same"}, {"type": "divider", "block_id": "same"}]),
    ],
)
def test_blocks_slack_would_refuse_are_invalid_blocks_and_nothing_is_posted(
    slack: SlackStandIn, case: str, blocks: list[dict[str, Any]]
) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        slack.web_client().chat_postMessage(channel="C0PLATFORM", text=case, blocks=blocks)

    assert slack_error(excinfo) == "invalid_blocks", case
    assert excinfo.value.response["errors"], case  # Slack says which field, as `errors`
    assert slack.control.slack_messages("C0PLATFORM") == []


def test_a_message_without_text_or_blocks_is_no_text(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        slack.web_client().api_call("chat.postMessage", json={"channel": "C0PLATFORM"})

    assert slack_error(excinfo) == "no_text"


def test_chat_update_replaces_the_message_and_keeps_what_it_said_before(slack: SlackStandIn) -> None:
    client = slack.web_client()
    posted = client.chat_postMessage(channel="C0PLATFORM", text="Waiting for approval", blocks=APPROVAL_BLOCKS)

    approved = [{"type": "section", "text": {"type": "mrkdwn", "text": "Approved by <@U0BOB>"}}]
    updated = client.chat_update(channel="C0PLATFORM", ts=posted["ts"], text="Approved", blocks=approved)

    shown = slack.control.slack_messages("C0PLATFORM")
    assert updated["ts"] == posted["ts"]
    assert len(shown) == 1
    assert shown[0]["text"] == "Approved"
    assert shown[0]["blocks"][0]["text"]["text"] == "Approved by <@U0BOB>"
    assert shown[0]["edited"]["user"] == "U0ACKBOT"
    assert [e["text"] for e in shown[0]["edits"]] == ["Waiting for approval"]


def test_chat_update_of_a_message_that_does_not_exist_is_message_not_found(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        slack.web_client().chat_update(channel="C0PLATFORM", ts="1700000000.000001", text="nope")

    assert slack_error(excinfo) == "message_not_found"


def test_chat_update_with_invalid_blocks_leaves_the_message_unchanged(slack: SlackStandIn) -> None:
    client = slack.web_client()
    posted = client.chat_postMessage(channel="C0PLATFORM", text="Waiting", blocks=APPROVAL_BLOCKS)

    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(channel="C0PLATFORM", ts=posted["ts"], text="x", blocks=[{"type": "bogus"}])

    assert slack_error(excinfo) == "invalid_blocks"
    assert slack.control.slack_messages("C0PLATFORM")[0]["text"] == "Waiting"


def test_thread_replies_stay_in_the_thread_unless_broadcast(slack: SlackStandIn) -> None:
    client = slack.web_client()
    parent = client.chat_postMessage(channel="C0PLATFORM", text="Migration request")
    quiet = client.chat_postMessage(channel="C0PLATFORM", thread_ts=parent["ts"], text="Stage: backing up etcd")
    loud = client.chat_postMessage(
        channel="C0PLATFORM", thread_ts=parent["ts"], text="Migration finished", reply_broadcast=True
    )

    channel = slack.control.slack_messages("C0PLATFORM")
    thread = slack.control.slack_messages("C0PLATFORM", thread_ts=parent["ts"])
    replies = client.conversations_replies(channel="C0PLATFORM", ts=parent["ts"])["messages"]

    assert [m["text"] for m in channel] == ["Migration request", "Migration finished"]
    assert [m["text"] for m in thread] == ["Migration request", "Stage: backing up etcd", "Migration finished"]
    assert [m["ts"] for m in replies] == [parent["ts"], quiet["ts"], loud["ts"]]
    assert replies[0]["reply_count"] == 2
    assert quiet["message"]["thread_ts"] == parent["ts"]
    assert loud["message"]["subtype"] == "thread_broadcast"


def test_a_reply_to_a_reply_lands_in_the_same_thread(slack: SlackStandIn) -> None:
    client = slack.web_client()
    parent = client.chat_postMessage(channel="C0PLATFORM", text="parent")
    first = client.chat_postMessage(channel="C0PLATFORM", thread_ts=parent["ts"], text="first")

    second = client.chat_postMessage(channel="C0PLATFORM", thread_ts=first["ts"], text="second")

    assert second["message"]["thread_ts"] == parent["ts"]


def test_an_ephemeral_message_is_seen_only_by_its_user(slack: SlackStandIn) -> None:
    client = slack.web_client()

    answer = client.chat_postEphemeral(channel="C0PLATFORM", user="U0DAVE", text="Only approvers may approve.")

    assert answer["message_ts"]
    assert [e["text"] for e in slack.control.slack_ephemeral(user="U0DAVE")] == ["Only approvers may approve."]
    assert slack.control.slack_ephemeral(user="U0ALICE") == []
    assert slack.control.slack_messages("C0PLATFORM") == []


def test_an_ephemeral_message_to_a_user_outside_the_channel_is_refused(slack: SlackStandIn) -> None:
    slack.world.slack.channels["C0PLATFORM"].members.discard("U0DAVE")

    with pytest.raises(SlackApiError) as excinfo:
        slack.web_client().chat_postEphemeral(channel="C0PLATFORM", user="U0DAVE", text="hi")

    assert slack_error(excinfo) == "user_not_in_channel"


def test_a_permalink_points_at_the_message_and_its_thread(slack: SlackStandIn) -> None:
    client = slack.web_client()
    parent = client.chat_postMessage(channel="C0PLATFORM", text="parent")
    reply = client.chat_postMessage(channel="C0PLATFORM", thread_ts=parent["ts"], text="reply")

    parent_link = client.chat_getPermalink(channel="C0PLATFORM", message_ts=parent["ts"])["permalink"]
    reply_link = client.chat_getPermalink(channel="C0PLATFORM", message_ts=reply["ts"])["permalink"]
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_getPermalink(channel="C0PLATFORM", message_ts="1.000001")

    digits = parent["ts"].replace(".", "")
    assert parent_link == f"https://ackmigrate-sandbox.slack.com/archives/C0PLATFORM/p{digits}"
    assert reply_link.endswith(f"?thread_ts={parent['ts']}&cid=C0PLATFORM")
    assert slack_error(excinfo) == "message_not_found"


def test_views_open_needs_a_trigger_id_slack_handed_out(slack: SlackStandIn) -> None:
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Cancel migration"},
             "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Are you sure?"}}]}
    trigger = slack.world.slack.new_trigger("U0ALICE")  # what a delivered command or click hands the bot
    client = slack.web_client()

    opened = client.views_open(trigger_id=trigger.id, view=modal)["view"]
    with pytest.raises(SlackApiError) as reused:
        client.views_open(trigger_id=trigger.id, view=modal)
    with pytest.raises(SlackApiError) as invented:
        client.views_open(trigger_id="123.456.abc", view=modal)

    assert opened["id"].startswith("V")
    assert opened["title"]["text"] == "Cancel migration"
    assert [v["user"] for v in slack.control.slack_views()] == ["U0ALICE"]
    assert slack_error(reused) == "expired_trigger_id"
    assert slack_error(invented) == "invalid_trigger_id"


def test_views_open_refuses_a_view_slack_would_refuse(slack: SlackStandIn) -> None:
    trigger = slack.world.slack.new_trigger("U0ALICE")
    title_too_long = {"type": "modal", "title": {"type": "plain_text", "text": "t" * 25}, "blocks": []}

    with pytest.raises(SlackApiError) as excinfo:
        slack.web_client().views_open(trigger_id=trigger.id, view=title_too_long)

    assert slack_error(excinfo) == "invalid_arguments"
    assert slack.control.slack_views() == []


def test_an_unknown_method_is_unknown_method(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        slack.web_client().api_call("chat.scheduleTeleport")

    assert slack_error(excinfo) == "unknown_method"
    assert excinfo.value.response["req_method"] == "chat.scheduleTeleport"


# --- the call log and faults -------------------------------------------------------------------------------


def test_every_call_is_recorded_with_its_method_and_outcome_and_no_token(slack: SlackStandIn) -> None:
    client = slack.web_client()
    client.chat_postMessage(channel="C0PLATFORM", text="one")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0OTHER", text="two")

    calls = slack.control.calls(service="slack")

    assert [(c["action"], c["status"], c["error_code"]) for c in calls] == [
        ("chat.postMessage", 200, ""),
        ("chat.postMessage", 200, "not_in_channel"),
    ]
    assert all("token" not in c["params"] for c in calls)


def test_a_rate_limit_fault_answers_429_with_retry_after_like_slack(slack: SlackStandIn) -> None:
    slack.control.fault("slack", "chat.postMessage", http_status=429)

    with pytest.raises(SlackApiError) as excinfo:
        slack.web_client().chat_postMessage(channel="C0PLATFORM", text="hello")

    response = excinfo.value.response
    assert response.status_code == 429
    assert response["error"] == "ratelimited"
    assert response.headers["Retry-After"] == "1"
    assert slack.control.slack_messages("C0PLATFORM") == []


def test_a_rate_limited_call_is_retried_by_slack_sdks_handler_and_then_lands(slack: SlackStandIn) -> None:
    slack.control.fault("slack", "chat.postMessage", http_status=429)
    client = slack.web_client(retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])

    posted = client.chat_postMessage(channel="C0PLATFORM", text="hello after the limit")

    calls = slack.control.calls(service="slack", action="chat.postMessage")
    assert [(c["status"], c["fault"]) for c in calls] == [(429, True), (200, False)]
    assert [m["ts"] for m in slack.control.slack_messages("C0PLATFORM")] == [posted["ts"]]


def test_a_server_error_fault_is_an_http_500_and_the_next_call_works(slack: SlackStandIn) -> None:
    slack.control.fault("slack", http_status=500)
    client = slack.web_client()

    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C0PLATFORM", text="during the outage")
    posted = client.chat_postMessage(channel="C0PLATFORM", text="after the outage")

    assert excinfo.value.response.status_code == 500
    assert excinfo.value.response["ok"] is False
    assert [m["ts"] for m in slack.control.slack_messages("C0PLATFORM")] == [posted["ts"]]


def test_a_fault_can_inject_a_slack_error_code(slack: SlackStandIn) -> None:
    slack.control.fault("slack", "chat.update", http_status=400, code="message_not_found")
    client = slack.web_client()
    posted = client.chat_postMessage(channel="C0PLATFORM", text="original")

    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(channel="C0PLATFORM", ts=posted["ts"], text="changed")

    assert excinfo.value.response.status_code == 200
    assert slack_error(excinfo) == "message_not_found"
    assert slack.control.slack_messages("C0PLATFORM")[0]["text"] == "original"


def test_malformed_json_fields_are_slack_errors_not_server_errors(slack: SlackStandIn) -> None:
    client = slack.web_client()

    with pytest.raises(SlackApiError) as attachments:
        client.api_call("chat.postMessage", data={"channel": "C0PLATFORM", "text": "x", "attachments": "[{"})
    with pytest.raises(SlackApiError) as metadata:
        client.api_call("chat.postMessage", data={"channel": "C0PLATFORM", "text": "x", "metadata": "nope"})

    assert (attachments.value.response.status_code, slack_error(attachments)) == (200, "invalid_attachments")
    assert (metadata.value.response.status_code, slack_error(metadata)) == (200, "invalid_metadata_format")
    assert slack.control.slack_messages("C0PLATFORM") == []


def test_message_metadata_is_kept_and_history_lists_newest_first(slack: SlackStandIn) -> None:
    client = slack.web_client()
    metadata = {"event_type": "migration_request", "event_payload": {"request_id": "req-1"}}
    first = client.chat_postMessage(channel="C0PLATFORM", text="first", metadata=metadata)
    second = client.chat_postMessage(channel="C0PLATFORM", text="second")

    history = client.conversations_history(channel="C0PLATFORM", limit=10, include_all_metadata=True)["messages"]
    plain = client.conversations_history(channel="C0PLATFORM", limit=10)["messages"]

    assert [m["ts"] for m in history] == [second["ts"], first["ts"]]
    assert history[1]["metadata"] == metadata
    assert "metadata" not in plain[1], "Slack returns metadata only with include_all_metadata"


def test_history_and_replies_page_with_a_cursor_as_slack_does(slack: SlackStandIn) -> None:
    client = slack.web_client()
    parent = client.chat_postMessage(channel="C0PLATFORM", text="parent")["ts"]
    for n in range(5):
        client.chat_postMessage(channel="C0PLATFORM", thread_ts=parent, text=f"reply {n}")

    seen, cursor = [], None
    while True:
        page = client.conversations_replies(channel="C0PLATFORM", ts=parent, limit=2, cursor=cursor)
        seen += [m["text"] for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
        assert page["has_more"] is bool(cursor)
        if not cursor:
            break

    assert seen == ["parent"] + [f"reply {n}" for n in range(5)]
    newer = client.conversations_history(channel="C0PLATFORM", oldest=parent)["messages"]
    assert newer == [], "replies are not in the channel's history; only messages after `oldest` are"
