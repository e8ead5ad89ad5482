"""The channel pacer on a real Redis: turns one interval apart per channel, shared by several workers,
refused past the post's patience without taking a turn; and through the sandbox, posts to one channel are
spaced while the pacer holds them, and a delivery whose turn is far off reschedules instead of waiting."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import redis

from tests.workers.runbook_harness import make_context
from workers import notify
from workers.domain.records import Kind, Record, State, new_record_id
from workers.slack import SlackClient, SlackPaced
from workers.slack_pace import MARGIN, UPDATES_PER_MINUTE, ChannelPacer, Paced
from workers.store import Reply

INTERVAL_S = 0.1  # 600 posts a minute: fast enough for a test, slow enough to see the spacing


def redis_now(client: redis.Redis) -> float:
    seconds, micros = client.time()
    return seconds + micros / 1e6


def assert_no_post_before_its_turn(began: float, moments: list[float]) -> None:
    """The k-th post (in time order) went no earlier than k intervals after the first could have: turns are
    one interval apart from a moment no earlier than `began`. (A lower bound: a post may be late, never early.)"""
    for k, moment in enumerate(sorted(moments)):
        assert moment >= began + k * INTERVAL_S - 0.005, (k, moment - began)


def test_turns_in_one_channel_are_one_interval_apart(redis_client: redis.Redis) -> None:
    pacer = ChannelPacer(redis_client, posts_per_minute=60 / INTERVAL_S, patience_s=5)

    began, sent = redis_now(redis_client), []
    for _ in range(5):
        pacer.take_turn("C1")
        sent.append(redis_now(redis_client))

    gaps = [later - earlier for earlier, later in zip(sent, sent[1:], strict=False)]
    assert all(gap >= INTERVAL_S - 0.005 for gap in gaps), f"posts closer than one turn apart: {gaps}"
    assert_no_post_before_its_turn(began, sent)


def test_channels_do_not_wait_for_each_other(redis_client: redis.Redis) -> None:
    waits: list[float] = []
    pacer = ChannelPacer(redis_client, posts_per_minute=1, patience_s=120, sleep=waits.append)

    for channel in ("C1", "C2", "C3"):
        pacer.take_turn(channel)

    assert waits == [], "the first post in each channel goes at once"
    pacer.take_turn("C1")
    assert len(waits) == 1 and 59 < waits[0] <= 60 * MARGIN, "the second in C1 waits out the minute"


def test_a_turn_beyond_patience_is_refused_and_not_taken(redis_client: redis.Redis) -> None:
    waits: list[float] = []
    pacer = ChannelPacer(redis_client, posts_per_minute=6, patience_s=25, sleep=waits.append)  # 10 s apart
    pacer.take_turn("C1")
    pacer.take_turn("C1")  # waits ~10 s (recorded, not slept)

    with pytest.raises(Paced) as refused:
        pacer.take_turn("C1", patience_s=5)  # the next free turn is ~20 s away
    assert 19 < refused.value.wait_s <= 20 * MARGIN

    pacer.take_turn("C1")  # patient enough: gets the turn the refused one did not take
    assert 19 < waits[-1] <= 20 * MARGIN


def test_several_workers_share_one_pace(redis_url: str) -> None:
    """Four processes' worth of clients (own connections, own script objects) posting to one channel."""
    moments: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        client = redis.Redis.from_url(redis_url)
        pacer = ChannelPacer(client, posts_per_minute=60 / INTERVAL_S, patience_s=10)
        for _ in range(4):
            pacer.take_turn("C1")
            with lock:
                moments.append(redis_now(client))

    began = redis_now(redis.Redis.from_url(redis_url))
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(moments) == 16
    assert_no_post_before_its_turn(began, moments)


def test_posts_through_the_slack_client_are_paced(redis_client: redis.Redis, sandbox: Any,
                                                  sandbox_env: dict[str, str]) -> None:
    pacer = ChannelPacer(redis_client, posts_per_minute=60 / INTERVAL_S, patience_s=5)
    slack = SlackClient(token=sandbox_env["SLACK_BOT_TOKEN"], base_url=sandbox_env["SLACK_API_URL"], pacer=pacer)

    began = time.time()
    parent = slack.post("C0PLATFORM", "parent")
    for n in range(4):
        slack.post_reply("C0PLATFORM", parent, f"reply {n}")

    posted = [float(m["ts"]) for m in sandbox.control.slack_messages("C0PLATFORM", thread_ts=parent)]
    assert len(posted) == 5
    assert_no_post_before_its_turn(began, posted)


def test_a_busy_channel_hands_a_post_back_unsent(redis_client: redis.Redis, sandbox: Any,
                                                sandbox_env: dict[str, str]) -> None:
    pacer = ChannelPacer(redis_client, posts_per_minute=1, patience_s=1)
    slack = SlackClient(token=sandbox_env["SLACK_BOT_TOKEN"], base_url=sandbox_env["SLACK_API_URL"], pacer=pacer)
    slack.post("C0PLATFORM", "first")

    with pytest.raises(SlackPaced) as paced:
        slack.post("C0PLATFORM", "second")

    assert 58 < (paced.value.retry_after_s or 0) <= 60 * MARGIN
    assert [m["text"] for m in sandbox.control.slack_messages("C0PLATFORM")] == ["first"]


def test_a_record_delivery_in_a_busy_channel_reschedules_and_leaves_no_attempt(
    sandbox: Any, sandbox_env: dict[str, str]
) -> None:
    ctx = make_context(sandbox_env, ACKMIGRATE_SLACK_POSTS_PER_MINUTE="1")
    record = ctx.store.create(Record(
        id=new_record_id(Kind.MIGRATION), kind=Kind.MIGRATION, cluster_id="c" + "0" * 32, cluster_name="busy",
        region="cn-hangzhou", requester="U0ALICE", channel="C0PLATFORM", state=State.AWAITING_APPROVAL,
        expires_at=time.time() + 600))
    notify.post_parent(ctx, record)
    ctx.store.add_reply(record.id, Reply("first reply"))
    started = time.monotonic()

    notify.deliver(ctx, record.id)  # the parent took this minute's turn

    assert time.monotonic() - started < 30, "the job did not sit out the minute"
    assert [seq for seq, _ in ctx.store.pending_replies(record.id)] == [1]
    assert not ctx.store.reply_attempted(record.id, 1), "a paced post certainly did not happen"
    assert [e for e in ctx.audit.read() if e.event == "slack_error"] == [], "being paced is not an error"


def test_edits_in_every_channel_share_one_tier_3_lane(redis_client: redis.Redis, sandbox: Any,
                                                      sandbox_env: dict[str, str]) -> None:
    waits: list[float] = []
    pacer = ChannelPacer(redis_client, posts_per_minute=600, patience_s=5, sleep=waits.append)
    slack = SlackClient(token=sandbox_env["SLACK_BOT_TOKEN"], base_url=sandbox_env["SLACK_API_URL"], pacer=pacer)
    first = slack.post("C0PLATFORM", "one")
    second = slack.post("U0ALICE", "two")  # a direct message: the stand-in's channel D0ALICE
    waits.clear()

    slack.update("C0PLATFORM", first, "one, edited")
    slack.update("D0ALICE", second, "two, edited")

    assert len(waits) == 1 and 1.1 < waits[0] <= 60 / UPDATES_PER_MINUTE * MARGIN, "the second edit waits its turn"
    assert [m["text"] for m in sandbox.control.slack_messages("D0ALICE")] == ["two, edited"]
