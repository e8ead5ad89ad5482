"""The channel pacer on a real Redis: turns one interval apart per channel, shared by several workers,
refused past the post's patience without taking a turn — or, for a post that names its holder, reserved and
given to it when it comes back, an unused reservation blocking nothing; and through the sandbox, posts to
one channel are spaced while the pacer holds them, and a delivery whose turn is far off reschedules once,
as the one delivery job its record has queued."""

from __future__ import annotations

import heapq
import threading
import time
from typing import Any

import pytest
import redis
from rq import Queue
from rq.registry import ScheduledJobRegistry

from tests.workers.runbook_harness import make_context
from workers import notify, reconciler
from workers.domain.records import Kind, Record, State, new_record_id
from workers.queues import NOTIFY_QUEUE
from workers.slack import SlackClient, SlackPaced
from workers.slack_pace import (
    ARRIVE_EARLY_S,
    MARGIN,
    RESERVATION_PREFIX,
    UPDATES_PER_MINUTE,
    ChannelPacer,
    Paced,
)
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


def test_a_far_turn_is_reserved_for_its_holder_and_given_to_it_when_it_comes_back(
    redis_client: redis.Redis,
) -> None:
    pacer = ChannelPacer(redis_client, posts_per_minute=60 / INTERVAL_S, patience_s=0)
    pacer.take_turn("C1")

    with pytest.raises(Paced) as first:
        pacer.take_turn("C1", holder="r1:1")
    with pytest.raises(Paced) as second:
        pacer.take_turn("C1", holder="r2:1")
    assert first.value.reserved and second.value.reserved
    assert 0 < first.value.wait_s < second.value.wait_s <= 2 * INTERVAL_S * MARGIN

    with pytest.raises(Paced) as early:
        pacer.take_turn("C1", holder="r2:1")  # back before its turn: told again, and no second turn is booked
    assert early.value.reserved and early.value.wait_s <= second.value.wait_s
    with pytest.raises(Paced) as after_both:
        pacer.take_turn("C1")  # no holder: refused, and the free turn is the one after the two reserved
    assert not after_both.value.reserved and 2 * INTERVAL_S < after_both.value.wait_s <= 3 * INTERVAL_S * MARGIN

    time.sleep(second.value.wait_s)
    assert pacer.take_turn("C1", holder="r1:1") == 0, "r1's turn has come: it goes at once"
    assert pacer.take_turn("C1", holder="r2:1") <= 0.01, "and r2 has its own, not r1's"
    assert redis_client.keys(RESERVATION_PREFIX + "*") == [], "a used reservation is gone"


def test_a_reservation_nobody_comes_for_blocks_nothing(redis_client: redis.Redis) -> None:
    grace_s = 0.05
    pacer = ChannelPacer(redis_client, posts_per_minute=60 / INTERVAL_S, patience_s=0, late_grace_s=grace_s)
    pacer.take_turn("C1")
    with pytest.raises(Paced) as dead:
        pacer.take_turn("C1", holder="died-with-its-worker:1")

    time.sleep(dead.value.wait_s + INTERVAL_S * MARGIN + grace_s + 0.02)  # past its turn and the next one

    assert pacer.take_turn("C1") == 0, "the channel is free again at once"
    assert redis_client.keys(RESERVATION_PREFIX + "*") == [], "the stale reservation expired"
    time.sleep(INTERVAL_S * MARGIN)
    assert pacer.take_turn("C1", holder="died-with-its-worker:1") == 0, "coming back late, it takes a fresh turn"


def test_two_workers_keep_reserved_turns_within_the_pace_and_dead_ones_cost_nothing(redis_url: str) -> None:
    """Each worker has 40 posts due now and takes them like jobs: a post whose turn is far off is reserved and
    comes back at that turn; one in ten is never taken up again (its job died). Over any window of 60 turns'
    time (6 s at 600 a minute, the scaled-down minute) there are at most 60 posts, and every live post went."""
    posts_per_minute, grace_s = 60 / INTERVAL_S, 0.04  # the 0.4 s grace, scaled to the 6-s "minute"
    moments: list[float] = []
    posted: list[str] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        client = redis.Redis.from_url(redis_url)
        pacer = ChannelPacer(client, posts_per_minute=posts_per_minute, patience_s=0, late_grace_s=grace_s)
        due = [(0.0, f"{name}:{n}") for n in range(40)]
        while due:
            at, holder = heapq.heappop(due)
            time.sleep(max(0.0, at - time.monotonic()))
            asked_at = redis_now(client)
            try:
                waited = pacer.take_turn("C1", holder=holder)
            except Paced as paced:
                assert paced.reserved
                if not holder.endswith("7"):  # 4 of each worker's 40 reservations die unused
                    heapq.heappush(due, (time.monotonic() + paced.wait_s, holder))
                continue
            with lock:
                moments.append(asked_at + waited)
                posted.append(holder)

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("w1", "w2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(posted) == sorted(f"{w}:{n}" for w in ("w1", "w2") for n in range(40) if n % 10 != 7)
    ordered = sorted(moments)
    window_s = 60 * 60 / posts_per_minute
    crowded = [(i, ordered[i + 60] - ordered[i]) for i in range(len(ordered) - 60) if ordered[i + 60] - ordered[i] <= window_s]
    assert crowded == [], "61 posts inside one (scaled) minute"


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
    rescheduled = ScheduledJobRegistry(queue=Queue(NOTIFY_QUEUE, connection=ctx.redis))
    [job_id] = rescheduled.get_job_ids()
    due_in = rescheduled.get_scheduled_time(job_id).timestamp() - time.time()
    assert 60 - ARRIVE_EARLY_S - 5 < due_in <= 60 * MARGIN, "it comes back once, just before the turn kept for it"

    for _ in range(5):
        notify.announce(ctx, record.id)  # the record keeps changing while its delivery waits
    reconciler.redraw_dirty(ctx)  # and the reconciler's sweep finds it dirty
    assert Queue(NOTIFY_QUEUE, connection=ctx.redis).count == 0, "no second delivery is queued meanwhile"
    assert rescheduled.get_job_ids() == [job_id]


def test_a_record_has_at_most_one_delivery_queued(sandbox: Any, sandbox_env: dict[str, str]) -> None:
    ctx = make_context(sandbox_env)
    record = ctx.store.create(Record(
        id=new_record_id(Kind.MIGRATION), kind=Kind.MIGRATION, cluster_id="c" + "1" * 32, cluster_name="chatty",
        region="cn-hangzhou", requester="U0ALICE", channel="C0PLATFORM", state=State.AWAITING_APPROVAL,
        expires_at=time.time() + 600))
    record = notify.post_parent(ctx, record)
    queue = Queue(NOTIFY_QUEUE, connection=ctx.redis)

    for n in range(3):
        ctx.store.add_reply(record.id, Reply(f"reply {n}"))
        notify.announce(ctx, record.id)
    assert queue.count == 1, "three changes, one delivery"

    notify.deliver(ctx, record.id)
    assert [m["text"] for m in sandbox.control.slack_messages("C0PLATFORM", thread_ts=record.message_ts)][1:] \
        == ["reply 0", "reply 1", "reply 2"]
    ctx.store.add_reply(record.id, Reply("reply 3"))
    notify.announce(ctx, record.id)
    assert queue.count == 2, "a change after the delivery started queues the next one"

    queue.empty()  # the job is lost (its worker died before it ran; its mark expires with time)
    ctx.redis.delete(*ctx.redis.keys("ackmigrate:notify:queued:*"))
    reconciler.redraw_dirty(ctx)
    assert queue.count == 1, "the reconciler's sweep queues a delivery for the record left dirty"


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
