"""Opening a wave request against the sandbox and a real Redis: what becomes the wave (the ready clusters in
risk order, the blocked ones skipped with their blocker), and what is refused privately with nothing created."""

from __future__ import annotations

from typing import Any

from tests.workers.runbook_harness import BUCKET, CHANNEL, make_context
from workers.audit import AuditLog
from workers.domain.waves import ClusterState, WaveState
from workers.ui.wave_answers import composing
from workers.wave_requests import ComposingNotes, WaveAsk, open_wave_request

OLD = "1.16.9-aliyun.1"  # below the 1.18 floor: the version check blocks


def _ask(**changes: Any) -> WaveAsk:
    fields: dict[str, Any] = dict(name="w1", requester="U0ALICE", channel=CHANNEL, patterns=("web-*",),
                                  bucket_map={"cn-hangzhou": BUCKET}, max_parallel=2, canary=1)
    fields.update(changes)
    return WaveAsk(**fields)


def _private(sandbox: Any) -> list[str]:
    return [str(m.get("text", "")) for m in sandbox.control.slack_ephemeral(channel=CHANNEL, user="U0ALICE")]


def test_the_wave_holds_the_ready_clusters_in_risk_order_and_the_blocked_ones_skipped(sandbox, sandbox_env):
    ctx = make_context(sandbox_env)
    sandbox.control.create_bucket(BUCKET)
    sandbox.control.create_cluster(name="web-prod", oss_granted_buckets=[BUCKET])
    sandbox.control.create_cluster(name="web-dev", oss_granted_buckets=[BUCKET])
    sandbox.control.create_cluster(name="web-old", current_version=OLD, oss_granted_buckets=[BUCKET])
    sandbox.control.create_cluster(name="api-1", oss_granted_buckets=[BUCKET])  # not matched

    wave = open_wave_request(ctx, _ask())

    assert wave is not None and wave.state is WaveState.AWAITING_APPROVAL
    assert [(c.name, c.state) for c in wave.clusters] == [
        ("web-dev", ClusterState.PENDING), ("web-prod", ClusterState.PENDING), ("web-old", ClusterState.SKIPPED)]
    blocked = wave.clusters[2].blocker
    assert blocked is not None and blocked.check_id == "k8s-version"
    assert wave.approvals_required == ctx.settings.wave_approvals_required and wave.expires_at is not None
    assert [e.event for e in AuditLog(ctx.redis).read() if e.details.get("wave") == "w1"] == ["requested"]


def test_the_bucket_of_a_region_is_asked_about_once_for_all_its_clusters(sandbox, sandbox_env):
    ctx = make_context(sandbox_env)
    sandbox.control.create_bucket(BUCKET)
    for n in range(4):
        sandbox.control.create_cluster(name=f"web-{n}", oss_granted_buckets=[BUCKET])
    sandbox.control.clear_calls()

    wave = open_wave_request(ctx, _ask())

    assert wave is not None and len(wave.clusters) == 4
    assert sorted(c["action"] for c in sandbox.control.calls(service="oss")) == ["GetBucketInfo", "GetBucketReferer"]


def test_a_region_without_a_bucket_or_a_pattern_matching_nothing_is_told_privately_and_nothing_is_made(
        sandbox, sandbox_env):
    ctx = make_context(sandbox_env)
    sandbox.control.create_cluster(name="web-1")

    no_bucket = open_wave_request(ctx, _ask(bucket_map={"cn-shanghai": "elsewhere"}))
    no_match = open_wave_request(ctx, _ask(patterns=("db-*",)))

    assert no_bucket is None and no_match is None
    assert ctx.waves.find("w1") is None
    said = _private(sandbox)
    assert any("no bucket for region cn-hangzhou in --bucket-map" in text for text in said), said
    assert any("'db-*' matches no cluster" in text for text in said), said
    refused = [e for e in AuditLog(ctx.redis).read() if e.event == "refused"]
    assert [e.details["action"] for e in refused] == ["wave_create", "wave_create"]


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_slow_composition_is_told_at_each_quarter_once_and_in_order() -> None:
    clock, said = _Clock(), []
    notes = ComposingNotes(400, said.append, clock=clock)
    clock.now = 10.0

    for done in range(1, 401):
        notes.checked(done)

    assert said == [100, 200, 300]


def test_a_quick_composition_says_nothing_and_a_late_start_says_only_what_is_passed_once() -> None:
    clock, said = _Clock(), []
    notes = ComposingNotes(400, said.append, clock=clock)
    for done in range(1, 250):  # half of the clusters in the first seconds: no note yet
        notes.checked(done)
    clock.now = ComposingNotes.SLOW_S

    for done in range(250, 401):
        notes.checked(done)

    assert said == [250, 300], "one note for the quarter and the half passed while quick, then three quarters"


def test_the_note_names_the_wave_and_how_far_its_prechecks_are() -> None:
    assert composing("w1", 120, 480) == ("Composing wave *w1*: prechecked 120 of 480 clusters (25%). The wave "
                                         "request will be posted in this channel.")
