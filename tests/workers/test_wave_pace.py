"""A burst of wave news against a Slack that enforces its per-channel posting limit: with the pacer the
stand-in never has to refuse a post, every line arrives once and in order; without it, Slack refuses.

Scaled ten times (10 posts a second allowed, the pacer set to 600 a minute) so the test takes seconds; the
sandbox's `/_sandbox/slack/pace` reports every write per channel and the 429s it answered."""

from __future__ import annotations

import time
from typing import Any

from tests.workers.runbook_harness import drive, make_context
from workers import wave_notify
from workers.context import Context
from workers.domain.records import Kind, Record, State, new_record_id
from workers.domain.wave_events import ClusterStarted, ClusterSucceeded
from workers.domain.waves import ClusterState, Wave, WaveCluster
from workers.wave_outbox import WaveOutbox
from workers.wave_store import WaveStore

CHANNEL = "C0PLATFORM"
CLUSTERS = 20


def pace(sandbox: Any) -> dict[str, Any]:
    figures: dict[str, Any] = sandbox.control.request("GET", "/slack/pace", channel=CHANNEL)
    return figures


def enforce_slacks_limit(sandbox: Any) -> None:
    sandbox.control.request("POST", "/slack/pace", {"enforce": True, "per_second": 10, "burst": 3})


def a_busy_wave(ctx: Context) -> None:
    """Twenty clusters that start and succeed at once: forty thread lines queued in a moment."""
    clusters = tuple(WaveCluster(cluster_id=f"c{i:032x}", name=f"web-{i:02d}", account="main",
                                 region="cn-hangzhou") for i in range(CLUSTERS))
    waves = WaveStore(ctx.redis)
    waves.create(Wave(name="busy", requester="U0ALICE", channel=CHANNEL, clusters=clusters,
                      max_parallel=CLUSTERS, canary=0, soak_s=0.0, approvals_required=1,
                      bucket_map={"cn-hangzhou": "ack-hz"}))
    waves.propose("busy", clusters=clusters, expires_at=time.time() + 600)
    waves.approve("busy", user="U0BOB", at=time.time())
    wave_notify.post_wave_request(ctx, "busy")
    for cluster in clusters:
        record = ctx.store.create(Record(
            id=new_record_id(Kind.MIGRATION), kind=Kind.MIGRATION, cluster_id=cluster.cluster_id,
            cluster_name=cluster.name, region=cluster.region, requester="U0ALICE", channel=CHANNEL,
            state=State.AWAITING_APPROVAL, expires_at=time.time() + 600))
        ctx.store.update(record.id, message_ts="1700000000.000100")  # its own thread, for the line to link to
        waves.claim_start("busy", cluster.cluster_id, record_id=record.id)
        wave_notify.cluster_event(ctx, "busy", cluster.cluster_id, ClusterStarted())
    for cluster in clusters:
        waves.record_end("busy", cluster.cluster_id, ClusterState.SUCCEEDED)
        wave_notify.cluster_event(ctx, "busy", cluster.cluster_id, ClusterSucceeded())


def delivered(ctx: Context) -> bool:
    return not WaveOutbox(ctx.redis).pending("busy")


def test_the_pacer_keeps_a_burst_within_slacks_limit(sandbox: Any, sandbox_env: dict[str, str]) -> None:
    enforce_slacks_limit(sandbox)
    ctx = make_context(sandbox_env, ACKMIGRATE_SLACK_POSTS_PER_MINUTE="600")

    a_busy_wave(ctx)
    drive(ctx, lambda: delivered(ctx), timeout_s=60)

    figures = pace(sandbox)
    assert figures["rate_limited"] == 0, "Slack never had to refuse a post"
    assert figures["counts"]["chat.postMessage"] == 1 + 2 * CLUSTERS, "the parent and each line, once"
    ts = WaveStore(ctx.redis).get("busy").message_ts
    lines = [m["text"] for m in sandbox.control.slack_messages(CHANNEL, thread_ts=ts)[1:]]
    assert [line.split(" ")[0] for line in lines] == ["🚚"] * CLUSTERS + ["✅"] * CLUSTERS, "in order"


def test_without_the_pacer_the_same_burst_is_refused(sandbox: Any, sandbox_env: dict[str, str]) -> None:
    """The contrast that shows the test above can fail: posting as fast as the workers can, Slack says 429."""
    enforce_slacks_limit(sandbox)
    ctx = make_context(sandbox_env, ACKMIGRATE_SLACK_POSTS_PER_MINUTE="60000")

    a_busy_wave(ctx)
    drive(ctx, lambda: pace(sandbox)["rate_limited"] > 0 or delivered(ctx), timeout_s=60)

    assert pace(sandbox)["rate_limited"] > 0
