"""Mentions, the approver-group cache, and what a person sees when the bot itself is in trouble."""

from __future__ import annotations

import json
import time

from slack_sdk import WebClient

from bot.usergroups import GroupLookupFailed, GroupMembers
from tests.bot.harness import RunningBot, StartBot, eventually
from workers.home_viewers import viewers


def test_mention_is_answered_with_the_help_in_its_thread(bot: RunningBot) -> None:
    client = WebClient(token=bot.settings.slack_bot_token, base_url=bot.settings.slack_api_url)
    ts = str(client.chat_postMessage(channel="C0PLATFORM", text="what can the bot do?")["ts"])
    event = {"type": "app_mention", "user": "U0DAVE", "text": "<@U0ACKBOT> help?", "ts": ts, "channel": "C0PLATFORM"}
    body = json.dumps({"type": "event_callback", "team_id": "T0SANDBOX", "api_app_id": "A0ACKMIGRATE",
                       "event": event, "event_id": "Ev0TEST", "event_time": int(time.time())})
    status, _ = bot.post_signed_json(body)
    assert status == 200
    thread = eventually(lambda: [m for m in bot.control.slack_messages("C0PLATFORM", thread_ts=ts) if m["ts"] != ts])
    assert "/ackmigrate migrate CLUSTER --bucket B" in thread[0]["text"]


def test_group_members_are_asked_of_slack_once_per_minute(bot: RunningBot) -> None:
    client = WebClient(token=bot.settings.slack_bot_token, base_url=bot.settings.slack_api_url)
    now = [0.0]
    groups = GroupMembers(client, ttl_s=60, clock=lambda: now[0])
    assert groups.members(["S0PLATFORM"]) == frozenset({"U0BOB", "U0CAROL"})
    now[0] = 59
    groups.members(["S0PLATFORM"])
    assert len(bot.control.calls(service="slack", action="usergroups.users.list")) == 1
    now[0] = 61
    groups.members(["S0PLATFORM"])
    assert len(bot.control.calls(service="slack", action="usergroups.users.list")) == 2


def test_unknown_group_is_a_lookup_failure_naming_it(bot: RunningBot) -> None:
    client = WebClient(token=bot.settings.slack_bot_token, base_url=bot.settings.slack_api_url)
    try:
        GroupMembers(client).members(["S0NOSUCH"])
    except GroupLookupFailed as error:
        assert (error.group, error.detail) == ("S0NOSUCH", "no_such_subteam")
    else:
        raise AssertionError("an unknown group must not resolve to nobody silently")


def test_redis_down_gets_a_private_apology_not_a_slack_error(start_bot: StartBot) -> None:
    bot = start_bot(REDIS_URL="redis://127.0.0.1:9/0")
    answer = bot.control.slash("U0ALICE", "C0PLATFORM", "migrate prod-hz-1 --bucket ack-migrate-hz")
    assert answer["status"] == 200
    (shown,) = bot.control.slack_ephemeral(channel="C0PLATFORM", user="U0ALICE")
    assert shown["text"].startswith(":warning: Something went wrong on ackmigrate's side (ConnectionError)")


def test_opening_the_home_tab_notes_the_viewer_and_queues_the_publish_of_their_tab(bot: RunningBot) -> None:
    answer = bot.control.request("POST", "/slack/app_home_opened", {"user": "U0CAROL"})

    assert answer["status"] == 200 and not answer["late"]
    assert viewers(bot.redis) == ["U0CAROL"]
    assert bot.jobs() == [("workers.jobs.publish_home", (), {"user": "U0CAROL", "trailing": False})]


def test_opening_the_messages_tab_changes_nothing(bot: RunningBot) -> None:
    answer = bot.control.request("POST", "/slack/app_home_opened", {"user": "U0CAROL", "tab": "messages"})

    assert answer["status"] == 200
    assert viewers(bot.redis) == [] and bot.jobs() == []
