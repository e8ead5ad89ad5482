"""A wave in Slack through the sandbox: its parent posted once, one thread line per cluster start and end
(exactly once, even when a worker died between Slack's answer and saving it), coalesced redraws, and
the freeze announcements. Real Redis, the sandbox's Slack over HTTP, the real SDK client."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from rq import Queue

from tests.workers.runbook_harness import make_context
from workers import wave_notify
from workers.audit import AuditLog
from workers.context import Context
from workers.domain.records import Kind, Record, State, new_record_id
from workers.domain.wave_events import (
    ClusterFailed,
    ClusterStarted,
    ClusterSucceeded,
    WavePaused,
    WaveRejected,
)
from workers.domain.waves import ClusterState, PauseCause, PauseReason, Wave, WaveCluster
from workers.freeze_store import FreezeStore
from workers.queues import NOTIFY_QUEUE
from workers.slack import MessageMark, SlackClient
from workers.wave_outbox import WaveOutbox
from workers.wave_store import WaveStore

CHANNEL = "C0PLATFORM"


def _wave(count: int = 3) -> Wave:
    clusters = tuple(WaveCluster(cluster_id=f"c{i:032x}", name=f"web-{i}", account="main", region="cn-hangzhou")
                     for i in range(count))
    return Wave(name="hz-1", requester="U0ALICE", channel=CHANNEL, clusters=clusters, max_parallel=2,
                bucket_map={"cn-hangzhou": "ack-hz"}, approvals_required=1, soak_s=0.0)


@pytest.fixture
def ctx(sandbox: Any, sandbox_env: dict[str, str]) -> Context:
    return make_context(sandbox_env)


def approved_wave(ctx: Context, count: int = 3) -> Wave:
    waves = WaveStore(ctx.redis)
    wave = waves.create(_wave(count))
    waves.propose(wave.name, clusters=wave.clusters, expires_at=time.time() + 600)
    return waves.approve(wave.name, user="U0BOB", at=time.time())


def start(ctx: Context, wave: Wave, index: int) -> str:
    """Claim the cluster as the engine does, with a migration record whose thread is posted."""
    cluster = wave.clusters[index]
    record = ctx.store.create(Record(
        id=new_record_id(Kind.MIGRATION), kind=Kind.MIGRATION, cluster_id=cluster.cluster_id,
        cluster_name=cluster.name, region=cluster.region, requester="U0ALICE", channel=CHANNEL,
        state=State.AWAITING_APPROVAL, expires_at=time.time() + 600))
    ctx.store.update(record.id, message_ts="1700000000.000100")
    WaveStore(ctx.redis).claim_start(wave.name, cluster.cluster_id, record_id=record.id)
    return cluster.cluster_id


def record_of(ctx: Context, cluster_id: str) -> str:
    cluster = WaveStore(ctx.redis).get("hz-1").cluster(cluster_id)
    assert cluster is not None and cluster.record_id is not None
    return cluster.record_id


def thread(sandbox: Any, ctx: Context, name: str = "hz-1") -> list[str]:
    ts = WaveStore(ctx.redis).get(name).message_ts
    return [m["text"] for m in sandbox.control.slack_messages(CHANNEL, thread_ts=ts)[1:]]


def slack_calls(sandbox: Any, action: str) -> list[dict[str, Any]]:
    return [c for c in sandbox.control.calls(service="slack") if c["action"] == action]


def test_the_request_is_posted_once_and_its_ts_saved(sandbox: Any, ctx: Context) -> None:
    waves = WaveStore(ctx.redis)
    wave = waves.create(_wave())
    waves.propose(wave.name, clusters=wave.clusters, expires_at=time.time() + 600)

    posted = wave_notify.post_wave_request(ctx, "hz-1")
    again = wave_notify.post_wave_request(ctx, "hz-1")

    (message,) = sandbox.control.slack_messages(CHANNEL)
    assert posted.message_ts == again.message_ts == message["ts"]
    assert message["text"].startswith("Wave request — hz-1: 3 clusters to migrate")
    assert [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]] == [
        "approve_wave", "reject_wave"]


def test_a_request_whose_post_outcome_was_lost_is_adopted_not_posted_again(sandbox: Any, ctx: Context) -> None:
    waves = WaveStore(ctx.redis)
    waves.create(_wave())
    # A worker marked the post attempted, Slack took it, and the worker died before saving the ts.
    WaveOutbox(ctx.redis).mark_attempted("hz-1", 0)
    lost = SlackClient(token=ctx.settings.slack_bot_token or "", base_url=ctx.settings.slack_api_url).post(
        CHANNEL, "the lost post", mark=MessageMark(wave_notify.wave_mark_id("hz-1"), 0))

    saved = wave_notify.post_wave_request(ctx, "hz-1")

    assert saved.message_ts == lost
    assert len(sandbox.control.slack_messages(CHANNEL)) == 1


def test_one_line_per_cluster_start_and_end_linking_to_its_thread(sandbox: Any, ctx: Context) -> None:
    wave = approved_wave(ctx)
    cluster_id = start(ctx, wave, 0)

    wave_notify.cluster_event(ctx, "hz-1", cluster_id, ClusterStarted(canary=True))
    wave_notify.cluster_event(ctx, "hz-1", cluster_id, ClusterStarted(canary=True))  # a retried job
    WaveStore(ctx.redis).record_end("hz-1", cluster_id, ClusterState.SUCCEEDED)
    wave_notify.cluster_event(ctx, "hz-1", cluster_id, ClusterSucceeded())
    wave_notify.deliver(ctx, "hz-1")

    lines = thread(sandbox, ctx)
    link = f"https://slack.com/archives/{CHANNEL}/p1700000000000100"
    assert lines == [
        f"🚚 Started `main/web-0` (1/3) — canary 🐤 · <{link}|its thread>",
        f"✅ `main/web-0` is on ACK Pro — under a minute · <{link}|its thread>",
    ]


def test_a_line_whose_post_outcome_was_lost_is_not_posted_twice(sandbox: Any, ctx: Context) -> None:
    wave = approved_wave(ctx)
    wave = wave_notify.post_wave_request(ctx, "hz-1")
    cluster_id = start(ctx, wave, 0)
    outbox = WaveOutbox(ctx.redis)
    seq = outbox.add("hz-1", f"{cluster_id}:start", ClusterStarted())
    # The dead worker's post: attempted, taken by Slack, never saved.
    outbox.mark_attempted("hz-1", seq)
    lost = ctx.slack.post_reply(CHANNEL, str(wave.message_ts), "the lost line",
                                mark=MessageMark(wave_notify.wave_mark_id("hz-1"), seq))
    second = start(ctx, wave, 1)
    wave_notify.cluster_event(ctx, "hz-1", second, ClusterStarted())

    wave_notify.deliver(ctx, "hz-1")

    lines = thread(sandbox, ctx)
    assert lines[0] == "the lost line" and len(lines) == 2
    assert lines[1].startswith("🚚 Started `main/web-1` (2/3)")
    assert outbox.posted("hz-1")[seq] == lost
    assert outbox.pending("hz-1") == []


def test_a_line_attempted_but_never_sent_is_sent_once(sandbox: Any, ctx: Context) -> None:
    wave = wave_notify.post_wave_request(ctx, approved_wave(ctx).name)
    cluster_id = start(ctx, wave, 0)
    outbox = WaveOutbox(ctx.redis)
    seq = outbox.add("hz-1", f"{cluster_id}:start", ClusterStarted())
    outbox.mark_attempted("hz-1", seq)  # the worker died before its post reached Slack

    wave_notify.deliver(ctx, "hz-1")
    wave_notify.deliver(ctx, "hz-1")

    assert len(thread(sandbox, ctx)) == 1


def test_a_pause_is_said_in_the_thread_and_the_channel(sandbox: Any, ctx: Context) -> None:
    wave = approved_wave(ctx)
    cluster_id = start(ctx, wave, 0)
    ended = WaveStore(ctx.redis).record_end("hz-1", cluster_id, ClusterState.FAILED, error="Task timeout")
    wave_notify.cluster_event(ctx, "hz-1", cluster_id, ClusterFailed("Task timeout"))
    reason = PauseReason(cause=PauseCause.FAILURE_BUDGET, failures=1, budget=0, failed=("web-0",))
    paused = WaveStore(ctx.redis).pause("hz-1", reason)
    wave_notify.wave_event(ctx, "hz-1", WavePaused(reason, version=paused.version))
    wave_notify.wave_event(ctx, "hz-1", WavePaused(reason, version=paused.version))  # reported twice
    assert ended.version < paused.version

    wave_notify.deliver(ctx, "hz-1")

    lines = thread(sandbox, ctx)
    assert len(lines) == 2 and lines[1].startswith("⏸️ Paused itself: 1 failure (`web-0`)")
    in_channel = [m["text"] for m in sandbox.control.slack_messages(CHANNEL)]
    assert len(in_channel) == 2 and in_channel[1].startswith("⏸️ Paused itself"), "the pause is shown in the channel"


def test_a_rejection_is_said_in_the_thread_with_its_reason_and_the_request_redrawn(sandbox: Any, ctx: Context) -> None:
    waves = WaveStore(ctx.redis)
    waves.create(_wave())
    waves.propose("hz-1", clusters=_wave().clusters, expires_at=time.time() + 600)
    wave_notify.post_wave_request(ctx, "hz-1")
    rejected = waves.reject("hz-1", user="U0CAROL", at=time.time(), reason="not during <!here> the sale")
    wave_notify.wave_event(ctx, "hz-1", WaveRejected(by="U0CAROL", reason=rejected.rejection_reason,
                                                     version=rejected.version))

    wave_notify.deliver(ctx, "hz-1")

    assert thread(sandbox, ctx) == [
        "❌ <@U0CAROL> rejected the wave; nothing of it will start: not during &lt;!here&gt; the sale"]
    (parent,) = sandbox.control.slack_messages(CHANNEL)
    shown = str(parent["blocks"])
    assert "Rejected by <@U0CAROL>: not during &lt;!here&gt; the sale" in shown
    assert "reject_wave" not in shown, "a rejected request loses its buttons"


def test_redraws_are_coalesced_and_the_last_state_is_drawn(sandbox: Any, ctx: Context) -> None:
    wave = wave_notify.post_wave_request(ctx, approved_wave(ctx, count=5).name)
    wave_notify.deliver(ctx, "hz-1")  # draws the approved wave
    for index in range(2):
        start(ctx, wave, index)
        wave_notify.wave_changed(ctx, "hz-1")
        wave_notify.deliver(ctx, "hz-1")  # inside the interval: schedules one redraw, draws nothing

    updates = slack_calls(sandbox, "chat.update")
    assert len(updates) == 1, "one redraw per interval"
    ctx.redis.delete("ackmigrate:wave-notify:redraw:hz-1")  # the interval has passed
    wave_notify.deliver(ctx, "hz-1")

    (parent,) = sandbox.control.slack_messages(CHANNEL)
    assert "🚚 2 running" in parent["text"], "the last state is drawn"
    assert len(slack_calls(sandbox, "chat.update")) == 2


def test_freeze_and_unfreeze_are_announced_once(sandbox: Any, ctx: Context) -> None:
    freezes = FreezeStore(ctx.redis, AuditLog(ctx.redis))
    freeze = freezes.freeze(by="U0EVE", reason="incident 4711",
                            until=datetime.fromtimestamp(time.time() + 7200, UTC))

    wave_notify.announce_freeze(ctx, freeze, by="U0EVE", channel=CHANNEL)
    wave_notify.announce_freeze(ctx, freeze, by="U0EVE", channel=CHANNEL)
    lifted = freezes.unfreeze(by="U0BOB")
    wave_notify.announce_unfreeze(ctx, lifted, channel=CHANNEL)

    texts = [m["text"] for m in sandbox.control.slack_messages(CHANNEL)]
    assert len(texts) == 2
    assert texts[0].startswith("Starts are frozen until") and texts[1] == "Starts are no longer frozen"


def test_the_progress_message_reads_the_freeze(sandbox: Any, ctx: Context) -> None:
    wave = approved_wave(ctx)
    FreezeStore(ctx.redis, AuditLog(ctx.redis)).freeze(by="U0EVE", reason="incident 4711")

    message = wave_notify.render_parent(ctx, replace(wave, message_ts="1.0"))

    assert "🧊 *Frozen* by <@U0EVE>" in str(message.blocks)


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it in the dying worker runs (not an Exception: nothing catches it)."""


def test_a_worker_killed_after_slack_took_a_line_does_not_post_it_twice(
    sandbox: Any, ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    wave = wave_notify.post_wave_request(ctx, approved_wave(ctx).name)
    wave_notify.cluster_event(ctx, "hz-1", start(ctx, wave, 0), ClusterStarted(canary=True))
    saving = WaveOutbox.mark_posted

    def die(*args: Any) -> None:
        raise Killed()

    monkeypatch.setattr(WaveOutbox, "mark_posted", die)
    with pytest.raises(Killed):
        wave_notify.deliver(ctx, "hz-1")  # Slack took the line; its ts was never saved
    monkeypatch.setattr(WaveOutbox, "mark_posted", saving)
    ctx.redis.delete(f"ackmigrate:notify:lock:{wave_notify.wave_mark_id('hz-1')}")  # its lock lapsed

    wave_notify.deliver(ctx, "hz-1")

    assert len(thread(sandbox, ctx)) == 1
    assert WaveOutbox(ctx.redis).pending("hz-1") == []


def test_the_sweep_replaces_a_lost_delivery(sandbox: Any, ctx: Context) -> None:
    wave = wave_notify.post_wave_request(ctx, approved_wave(ctx).name)
    WaveOutbox(ctx.redis).add("hz-1", "c:start", ClusterStarted())  # added; its delivery job was lost
    ctx.redis.delete("ackmigrate:wave-notify:queued:hz-1")

    assert wave_notify.heal(ctx) == ["hz-1"]
    assert wave_notify.heal(ctx) == ["hz-1"], "still behind, but one delivery is queued, not two"
    queued = Queue(NOTIFY_QUEUE, connection=ctx.redis).jobs
    assert [job.func_name for job in queued] == ["workers.jobs.deliver_wave_notifications"]
    wave_notify.deliver(ctx, "hz-1")

    assert wave.message_ts and len(thread(sandbox, ctx)) == 1
    assert wave_notify.heal(ctx) == [], "nothing left behind"


def test_a_line_is_posted_rather_than_lost_when_slack_will_not_show_the_thread(sandbox: Any, ctx: Context) -> None:
    wave = wave_notify.post_wave_request(ctx, approved_wave(ctx).name)
    outbox = WaveOutbox(ctx.redis)
    seq = outbox.add("hz-1", f"{start(ctx, wave, 0)}:start", ClusterStarted())
    outbox.mark_attempted("hz-1", seq)
    sandbox.control.fault("slack", "conversations.replies", http_status=400, code="missing_scope")

    wave_notify.deliver(ctx, "hz-1")

    assert len(thread(sandbox, ctx)) == 1 and outbox.pending("hz-1") == []


def test_a_line_waits_while_slack_is_down(sandbox: Any, ctx: Context) -> None:
    wave = wave_notify.post_wave_request(ctx, approved_wave(ctx).name)
    wave_notify.cluster_event(ctx, "hz-1", start(ctx, wave, 0), ClusterStarted())
    sandbox.control.fault("slack", "chat.postMessage", http_status=503, count=5)

    wave_notify.deliver(ctx, "hz-1")

    assert len(WaveOutbox(ctx.redis).pending("hz-1")) == 1, "kept, to be tried again"
    scheduled = Queue(NOTIFY_QUEUE, connection=ctx.redis).scheduled_job_registry.get_job_ids()
    assert len(scheduled) == 1, "the delivery comes back later"


def test_a_line_added_after_a_failed_delivery_is_posted_as_soon_as_slack_answers_again(
    sandbox: Any, ctx: Context
) -> None:
    """The failed delivery's retry backs off (up to a minute) without keeping the next change from being
    delivered at once; nor would a retry lost with a failover's last writes keep the sweep from it."""
    wave = wave_notify.post_wave_request(ctx, approved_wave(ctx).name)
    sandbox.control.fault("slack", "chat.postMessage", http_status=503, count=1)
    wave_notify.cluster_event(ctx, "hz-1", start(ctx, wave, 0), ClusterStarted())
    wave_notify.deliver(ctx, "hz-1")  # fails; its retry is scheduled for later
    assert thread(sandbox, ctx) == []
    Queue(NOTIFY_QUEUE, connection=ctx.redis).empty()

    wave_notify.cluster_event(ctx, "hz-1", start(ctx, wave, 1), ClusterStarted())  # Slack answers again

    queued = Queue(NOTIFY_QUEUE, connection=ctx.redis).jobs
    assert [job.func_name for job in queued] == ["workers.jobs.deliver_wave_notifications"], "queued now"
    wave_notify.deliver(ctx, "hz-1")
    assert len(thread(sandbox, ctx)) == 2


def test_a_line_waits_for_its_clusters_thread_to_link_to_it(
    sandbox: Any, ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    wave = wave_notify.post_wave_request(ctx, approved_wave(ctx).name)
    cluster_id = start(ctx, wave, 0)
    record_id = record_of(ctx, cluster_id)
    ctx.store.update(record_id, message_ts=None)  # its request message is not posted yet
    wave_notify.cluster_event(ctx, "hz-1", cluster_id, ClusterStarted())

    wave_notify.deliver(ctx, "hz-1")
    assert thread(sandbox, ctx) == [], "waits for the cluster's thread"
    assert Queue(NOTIFY_QUEUE, connection=ctx.redis).scheduled_job_registry.get_job_ids(), "and comes back"

    ctx.store.update(record_id, message_ts="1700000000.000200")
    wave_notify.deliver(ctx, "hz-1")
    assert thread(sandbox, ctx) == [
        f"🚚 Started `main/web-0` (1/3) · <https://slack.com/archives/{CHANNEL}/p1700000000000200|its thread>"]

    second = start(ctx, wave, 1)
    second_record = record_of(ctx, second)
    ctx.store.update(second_record, message_ts=None)
    wave_notify.cluster_event(ctx, "hz-1", second, ClusterStarted())
    monkeypatch.setattr(wave_notify, "LINK_WAIT_S", 0.0)  # its thread never came
    wave_notify.deliver(ctx, "hz-1")
    assert thread(sandbox, ctx)[1] == "🚚 Started `main/web-1` (2/3)", "posted without the link, not lost"
