"""How fast the bot writes to a channel, as the Slack stand-in records it, and Slack's per-channel posting
limit (about one message per second, short bursts tolerated) when a test switches it on."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from sandbox.slack_pace import busiest_window
from tests.sandbox.slack_fixtures import SlackStandIn


@pytest.fixture
def slack(slack_server: SlackStandIn) -> SlackStandIn:
    return slack_server.reset()


def pace(slack: SlackStandIn, channel: str = "C0PLATFORM") -> dict[str, Any]:
    figures: dict[str, Any] = slack.control.request("GET", "/slack/pace", channel=channel)
    return figures


def limit(slack: SlackStandIn, **settings: Any) -> dict[str, Any]:
    answer: dict[str, Any] = slack.control.request("POST", "/slack/pace", settings)
    return answer


def test_every_post_and_update_is_counted_per_channel(slack: SlackStandIn) -> None:
    client = slack.web_client()
    first = client.chat_postMessage(channel="C0PLATFORM", text="wave started")["ts"]
    client.chat_postMessage(channel="C0PLATFORM", text="cluster 1 started", thread_ts=first)
    client.chat_update(channel="C0PLATFORM", ts=first, text="wave 1/8")
    client.chat_update(channel="C0PLATFORM", ts=first, text="wave 2/8")
    client.chat_postMessage(channel="U0ALICE", text="a direct message elsewhere")

    figures = pace(slack)

    assert figures["counts"] == {"chat.postMessage": 2, "chat.update": 2}
    assert figures["busiest_minute"] == {"chat.postMessage": 2, "chat.update": 2}
    assert figures["per_minute"] == [{"minute": 0, "chat.postMessage": 2, "chat.update": 2}]
    assert figures["enforce"] is False and figures["rate_limited"] == 0
    assert pace(slack, "D0ALICE")["counts"] == {"chat.postMessage": 1, "chat.update": 0}


def test_a_refused_post_is_not_counted(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError):
        slack.web_client().chat_postMessage(channel="C0OTHER", text="the bot is not in #random")

    assert pace(slack, "C0OTHER")["counts"] == {"chat.postMessage": 0, "chat.update": 0}


def test_by_default_a_fast_burst_is_accepted(slack: SlackStandIn) -> None:
    client = slack.web_client()

    for n in range(10):
        client.chat_postMessage(channel="C0PLATFORM", text=f"line {n}")

    assert pace(slack)["counts"]["chat.postMessage"] == 10


def test_with_the_limit_on_a_burst_beyond_its_allowance_is_answered_429_with_retry_after(slack: SlackStandIn) -> None:
    assert limit(slack, enforce=True, per_second=1, burst=2) == {"enforce": True, "per_second": 1.0, "burst": 2}
    client = slack.web_client()
    client.chat_postMessage(channel="C0PLATFORM", text="one")
    client.chat_postMessage(channel="C0PLATFORM", text="two")

    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C0PLATFORM", text="three")
    other_channel = client.chat_postMessage(channel="U0ALICE", text="another channel has its own allowance")

    assert excinfo.value.response.status_code == 429
    assert excinfo.value.response["error"] == "ratelimited"
    assert int(excinfo.value.response.headers["Retry-After"]) >= 1
    assert other_channel["ok"] is True
    figures = pace(slack)
    assert figures["rate_limited"] == 1
    assert figures["counts"]["chat.postMessage"] == 2
    assert [m["text"] for m in slack.control.slack_messages("C0PLATFORM")] == ["one", "two"]


def test_a_client_that_honours_retry_after_gets_every_post_through_at_the_allowed_pace(slack: SlackStandIn) -> None:
    limit(slack, enforce=True, per_second=2, burst=1)
    client = slack.web_client(retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=5)])

    for n in range(3):
        client.chat_postMessage(channel="C0PLATFORM", text=f"line {n}")

    figures = pace(slack)
    assert [m["text"] for m in slack.control.slack_messages("C0PLATFORM")] == ["line 0", "line 1", "line 2"]
    assert figures["rate_limited"] >= 1
    assert figures["last"] - figures["first"] >= 0.5  # the third post waited for its slot


def test_switching_the_limit_off_lets_posts_through_again(slack: SlackStandIn) -> None:
    limit(slack, enforce=True, per_second=1, burst=1)
    client = slack.web_client()
    client.chat_postMessage(channel="C0PLATFORM", text="one")

    limit(slack, enforce=False)
    client.chat_postMessage(channel="C0PLATFORM", text="two")

    assert pace(slack)["counts"]["chat.postMessage"] == 2


def test_nonsense_settings_are_refused(slack: SlackStandIn) -> None:
    from sandbox.client import SandboxControlError

    with pytest.raises(SandboxControlError):
        limit(slack, enforce=True, per_second=0)


def test_the_busiest_window_slides_over_the_posts() -> None:
    assert busiest_window([]) == 0
    assert busiest_window([0.0, 30.0, 59.9, 60.0, 61.0, 200.0]) == 4  # 30.0, 59.9, 60.0, 61.0
    assert busiest_window([0.0, 60.0, 120.0]) == 1
