"""Wave events: each variant survives the outbox's JSON, their exactly-once keys, and the event a saved
cluster state stands for."""

from __future__ import annotations

import pytest

from workers.domain.wave_events import (
    ClusterEvent,
    ClusterFailed,
    ClusterSkipped,
    ClusterStarted,
    ClusterSucceeded,
    WaveApproved,
    WaveCancelled,
    WaveDone,
    WaveEvent,
    WavePaused,
    WaveRejected,
    WaveResumed,
    cluster_event_key,
    cluster_event_of,
    from_json,
    to_json,
    wave_event_key,
)
from workers.domain.waves import (
    Blocker,
    ClusterState,
    PauseCause,
    PauseReason,
    Wave,
    WaveCluster,
    WaveState,
    end_cluster,
    start_cluster,
)

EVERY_EVENT: list[ClusterEvent | WaveEvent] = [
    ClusterStarted(canary=True), ClusterStarted(), ClusterSucceeded(), ClusterFailed("Task timeout"),
    ClusterSkipped(Blocker("k8s_version", "1.14 is below 1.18")),
    WaveApproved(by="U0BOB", version=4),
    WavePaused(PauseReason(cause=PauseCause.FAILURE_BUDGET, failures=2, budget=1, failed=("a", "b")), version=9),
    WavePaused(PauseReason(cause=PauseCause.OPERATOR, by="U0DAVE"), version=11),
    WaveResumed(by="U0DAVE", version=12), WaveCancelled(by="U0EVE", version=13),
    WaveRejected(by="U0CAROL", reason="not during <the sale>", version=3), WaveRejected(by="U0CAROL", reason=None, version=3),
    WaveDone(succeeded=5, failed=1, skipped=2, version=20),
]


@pytest.mark.parametrize("event", EVERY_EVENT, ids=lambda e: type(e).__name__)
def test_every_event_survives_json(event: ClusterEvent | WaveEvent) -> None:
    assert from_json(to_json(event)) == event


def test_a_cluster_has_one_start_key_and_one_end_key() -> None:
    assert cluster_event_key("c1", ClusterStarted()) == cluster_event_key("c1", ClusterStarted(canary=True))
    ends = {cluster_event_key("c1", e) for e in (ClusterSucceeded(), ClusterFailed("x"),
                                                  ClusterSkipped(Blocker("k", "s")))}
    assert ends == {"c1:end"} and cluster_event_key("c1", ClusterStarted()) == "c1:start"


def test_a_wave_change_is_keyed_by_its_version() -> None:
    first = WavePaused(PauseReason(cause=PauseCause.OPERATOR, by="U1"), version=5)
    again = WavePaused(PauseReason(cause=PauseCause.OPERATOR, by="U1"), version=9)
    assert wave_event_key(first) != wave_event_key(again)
    assert wave_event_key(first) == wave_event_key(WavePaused(first.reason, version=5))


def test_the_event_a_saved_cluster_stands_for() -> None:
    clusters = tuple(WaveCluster(cluster_id=f"c{i}", name=f"web-{i}", account="main", region="cn-hangzhou")
                     for i in range(3))
    wave = Wave(name="w", requester="U1", channel="C1", clusters=clusters, max_parallel=3, canary=1,
                state=WaveState.APPROVED)
    wave = start_cluster(start_cluster(wave, "c0", at=1.0), "c1", at=1.0)

    assert cluster_event_of(wave, "c0") == ClusterStarted(canary=True)
    assert cluster_event_of(wave, "c1") == ClusterStarted(canary=False)
    failed = end_cluster(wave, "c1", ClusterState.FAILED, at=2.0, error="Task timeout")
    assert cluster_event_of(failed, "c1") == ClusterFailed("Task timeout")
    skipped = end_cluster(wave, "c2", ClusterState.SKIPPED, at=2.0, blocker=Blocker("k", "s"))
    assert cluster_event_of(skipped, "c2") == ClusterSkipped(Blocker("k", "s"))
    with pytest.raises(ValueError, match="nothing to tell"):
        cluster_event_of(wave, "c2")
