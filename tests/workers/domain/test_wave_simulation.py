"""A wave driven to its end by `next_starts` alone, on a simulated clock: whatever the clusters' lengths,
outcomes and windows, it never runs more than max_parallel, never starts a cluster twice, starts nothing
but canaries until they end and the soak is over, starts only inside a window with time to finish, and
always finishes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from workers.domain import waves
from workers.domain.waves import (
    ClusterState,
    PauseWave,
    StartNow,
    Wait,
    WaitReason,
    Wave,
    WaveCluster,
    WaveFinished,
    WaveState,
    next_starts,
)
from workers.domain.windows import parse_schedule

START = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)  # a Friday noon
EXPECTED = timedelta(minutes=30)


@dataclass(frozen=True)
class Plan:
    lengths: list[int]  # minutes each cluster's migration takes
    failing: set[int]  # indexes of clusters whose migration fails
    max_parallel: int
    canary: int
    soak_minutes: int
    windows: tuple[str, ...]
    failure_budget: int


plans = st.builds(
    Plan,
    lengths=st.lists(st.integers(5, 90), min_size=1, max_size=12),
    failing=st.sets(st.integers(0, 11), max_size=3),
    max_parallel=st.integers(1, 4),
    canary=st.integers(0, 3),
    soak_minutes=st.sampled_from([0, 10, 60]),
    windows=st.sampled_from([(), ("Sat 02:00-06:00 Asia/Shanghai",), ("Mon-Fri 22:00-02:00 UTC",),
                             ("daily 09:00-10:00 Europe/Berlin", "Sun 00:00-24:00 UTC")]),
    failure_budget=st.integers(0, 2),
)


@settings(max_examples=150, deadline=None)
@given(plans)
def test_a_wave_runs_to_its_end_within_every_limit(plan: Plan) -> None:
    clusters = tuple(WaveCluster(cluster_id=f"c{i}", name=f"n{i}", account="main", region="cn-hangzhou")
                     for i in range(len(plan.lengths)))
    wave = Wave(name="sim", requester="U0", channel="C0", clusters=clusters, state=WaveState.APPROVED,
                max_parallel=plan.max_parallel, canary=plan.canary, soak_s=plan.soak_minutes * 60.0,
                windows=plan.windows, failure_budget=plan.failure_budget)
    schedule = parse_schedule(plan.windows)
    now = START
    ends: dict[str, datetime] = {}  # running cluster → when its migration ends
    started: list[str] = []
    canary_ids: set[str] = set()
    for _ in range(10_000):
        decision = next_starts(wave, now, None, EXPECTED)
        if isinstance(decision, WaveFinished):
            break
        if isinstance(decision, PauseWave):
            assert len(wave.counted_failures) > plan.failure_budget
            wave = waves.resume(waves.pause(wave, decision.reason))  # the operator looks and resumes
            continue
        if isinstance(decision, StartNow):
            assert decision.cluster_ids, "a start decision names clusters"
            left = schedule.time_left(now)
            assert left is None or left >= EXPECTED, "started with too little of the window left"
            if not decision.canary:
                assert canary_ids == {c.cluster_id for c in wave.canaries}, "a non-canary started before canaries ended"
                assert all(c.state in waves.ENDED for c in wave.canaries)
                last_canary_end = max((c.ended_at or 0.0 for c in wave.canaries), default=0.0)
                assert now.timestamp() >= last_canary_end + plan.soak_minutes * 60, "started during the soak"
            for cluster_id in decision.cluster_ids:
                wave = waves.start_cluster(wave, cluster_id, at=now.timestamp())
                index = int(cluster_id[1:])
                ends[cluster_id] = now + timedelta(minutes=plan.lengths[index])
                started.append(cluster_id)
                if decision.canary:
                    canary_ids.add(cluster_id)
            assert len(wave.running) <= plan.max_parallel
            continue
        assert isinstance(decision, Wait)
        assert decision.reason is not WaitReason.NO_WINDOW_LONG_ENOUGH
        next_end = min(ends.values(), default=None)
        candidates = [t for t in (decision.until, next_end) if t is not None]
        assert candidates, f"stuck: {decision} with nothing running"
        now = max(now, min(candidates))
        for cluster_id, end in sorted(ends.items(), key=lambda item: item[1]):
            if end <= now:
                outcome = ClusterState.FAILED if int(cluster_id[1:]) in plan.failing else ClusterState.SUCCEEDED
                wave = waves.end_cluster(wave, cluster_id, outcome, at=end.timestamp())
                del ends[cluster_id]
    else:
        raise AssertionError("the wave did not finish")

    assert sorted(started) == sorted(c.cluster_id for c in clusters)  # each exactly once
    assert len(set(started)) == len(started)
    assert now - START < timedelta(days=60)
