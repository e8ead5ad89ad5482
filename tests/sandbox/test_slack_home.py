"""The app's Home tab in the Slack stand-in: views.publish through slack_sdk's WebClient, and a person
opening the tab (`app_home_opened`, delivered to the bot as Slack's Events API delivers it)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from sandbox.client import SandboxControlError
from tests.sandbox.slack_fixtures import SIGNING_SECRET, RecordingBot, SlackStandIn


def home_view(*texts: str) -> dict[str, Any]:
    return {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": t}} for t in texts]}


def home_of(slack: SlackStandIn, user: str) -> dict[str, Any]:
    answer: dict[str, Any] = slack.control.request("GET", "/slack/home", user=user)
    return answer


def publish_error(slack: SlackStandIn, **args: Any) -> tuple[str, list[str]]:
    with pytest.raises(SlackApiError) as excinfo:
        slack.web_client().views_publish(**args)
    response = excinfo.value.response
    return str(response["error"]), list(response.get("response_metadata", {}).get("messages", []))


# --- views.publish --------------------------------------------------------------------------------------------


def test_a_published_view_is_what_the_person_sees_and_publishing_again_replaces_it(slack: SlackStandIn) -> None:
    client = slack.web_client()

    first = client.views_publish(user_id="U0ALICE", view=home_view("3 of 10 clusters migrated"))
    second = client.views_publish(user_id="U0ALICE", view=home_view("4 of 10 clusters migrated"))
    alice, bob = home_of(slack, "U0ALICE"), home_of(slack, "U0BOB")

    assert first["view"]["type"] == "home" and first["view"]["id"] == second["view"]["id"]
    assert first["view"]["hash"] != second["view"]["hash"]
    assert alice["publishes"] == 2
    assert [b["text"]["text"] for b in alice["view"]["blocks"]] == ["4 of 10 clusters migrated"]
    assert (bob["publishes"], bob["view"]) == (0, None)


def test_the_current_hash_is_accepted_and_a_stale_one_is_a_hash_conflict(slack: SlackStandIn) -> None:
    client = slack.web_client()
    stale = client.views_publish(user_id="U0ALICE", view=home_view("one"))["view"]["hash"]
    current = client.views_publish(user_id="U0ALICE", view=home_view("two"), hash=stale)["view"]["hash"]

    error, _ = publish_error(slack, user_id="U0ALICE", view=home_view("three"), hash=stale)

    assert error == "hash_conflict"
    assert home_of(slack, "U0ALICE")["hash"] == current
    assert home_of(slack, "U0ALICE")["view"]["blocks"][0]["text"]["text"] == "two"


def test_a_view_of_more_than_100_blocks_is_refused_as_slack_refuses_it(slack: SlackStandIn) -> None:
    error, messages = publish_error(slack, user_id="U0ALICE", view=home_view(*[f"line {i}" for i in range(101)]))

    assert error == "invalid_arguments"
    assert any("no more than 100 items allowed [json-pointer:/view/blocks]" in m for m in messages)
    assert home_of(slack, "U0ALICE")["publishes"] == 0


def test_exactly_100_blocks_are_accepted(slack: SlackStandIn) -> None:
    slack.web_client().views_publish(user_id="U0ALICE", view=home_view(*[f"line {i}" for i in range(100)]))

    assert len(home_of(slack, "U0ALICE")["view"]["blocks"]) == 100


def test_unknown_users_missing_arguments_modals_and_bad_blocks_are_invalid_arguments(slack: SlackStandIn) -> None:
    unknown_user = publish_error(slack, user_id="U0NOBODY", view=home_view("hi"))
    the_bot_itself = publish_error(slack, user_id="U0ACKBOT", view=home_view("hi"))
    modal = publish_error(slack, user_id="U0ALICE", view={**home_view("hi"), "type": "modal",
                                                           "title": {"type": "plain_text", "text": "Fleet"}})
    empty_text = publish_error(slack, user_id="U0ALICE", view=home_view(""))
    no_user = publish_error(slack, user_id="", view=home_view("hi"))

    assert unknown_user == ("invalid_arguments", ["[ERROR] invalid `user_id`"])
    assert the_bot_itself[0] == "invalid_arguments"
    assert modal[0] == "invalid_arguments"
    assert empty_text[0] == "invalid_arguments"
    assert no_user[0] == "invalid_arguments"
    assert home_of(slack, "U0ALICE")["publishes"] == 0


def test_a_view_over_250_kb_is_view_too_large(slack: SlackStandIn) -> None:
    big = home_view(*["x" * 2900 for _ in range(90)])  # each section text under Slack's 3,000 characters

    error, _ = publish_error(slack, user_id="U0ALICE", view=big)

    assert error == "view_too_large"


def test_the_home_control_route_names_unknown_people(slack: SlackStandIn) -> None:
    with pytest.raises(SandboxControlError) as excinfo:
        home_of(slack, "U0NOBODY")

    assert "U0NOBODY" in str(excinfo.value)


# --- app_home_opened over HTTP ---------------------------------------------------------------------------------


def test_opening_the_home_tab_delivers_a_signed_app_home_opened_event(slack: SlackStandIn, bot: RecordingBot) -> None:
    answer = slack.control.request("POST", "/slack/app_home_opened", {"user": "U0ALICE"})

    delivery = bot.deliveries[0]
    body = json.loads(delivery.body)
    assert answer["status"] == 200
    assert delivery.headers["content-type"] == "application/json"
    assert SignatureVerifier(SIGNING_SECRET).is_valid(
        body=delivery.body, timestamp=delivery.headers["x-slack-request-timestamp"],
        signature=delivery.headers["x-slack-signature"],
    )
    assert body["type"] == "event_callback" and body["event_id"] == answer["event_id"]
    assert body["api_app_id"] == "A0ACKMIGRATE" and body["team_id"] == "T0SANDBOX"
    event = body["event"]
    assert (event["type"], event["user"], event["channel"], event["tab"]) == (
        "app_home_opened", "U0ALICE", "D0ALICE", "home")
    assert float(event["event_ts"]) > 0
    assert "view" not in event  # nothing was published to Alice yet


def test_the_event_carries_the_view_published_before(slack: SlackStandIn, bot: RecordingBot) -> None:
    published = slack.web_client().views_publish(user_id="U0BOB", view=home_view("fleet"))["view"]

    slack.control.request("POST", "/slack/app_home_opened", {"user": "bob"})

    view = json.loads(bot.deliveries[0].body)["event"]["view"]
    assert (view["id"], view["hash"], view["type"]) == (published["id"], published["hash"], "home")
    assert view["blocks"][0]["text"]["text"] == "fleet"


def test_every_event_is_listed_with_the_deliveries(slack: SlackStandIn, bot: RecordingBot) -> None:
    slack.control.request("POST", "/slack/app_home_opened", {"user": "U0CAROL", "tab": "messages"})

    deliveries = slack.control.request("GET", "/slack/deliveries")["deliveries"]

    assert [(d["kind"], d["payload"]["event"]["tab"], d["status"]) for d in deliveries] == [
        ("app_home_opened", "messages", 200)]


def test_an_unknown_tab_or_person_is_refused_and_nothing_is_sent(slack: SlackStandIn, bot: RecordingBot) -> None:
    with pytest.raises(SandboxControlError):
        slack.control.request("POST", "/slack/app_home_opened", {"user": "U0ALICE", "tab": "about"})
    with pytest.raises(SandboxControlError):
        slack.control.request("POST", "/slack/app_home_opened", {"user": "U0NOBODY"})

    assert bot.deliveries == []
