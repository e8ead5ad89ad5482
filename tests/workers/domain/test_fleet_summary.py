"""The Home tab's rules: a cluster counted once where sources disagree, places counted, and a wave's phase
being what its scheduler would decide now."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from workers.domain.fleet_summary import (
    FleetSummary,
    Sighting,
    Standing,
    WavePhase,
    WaveProgress,
    count_places,
    standings,
    wave_progress,
    wave_standing,
)
from workers.domain.freeze import Freeze
from workers.domain.waves import ClusterState, PauseCause, PauseReason, Wave, WaveCluster, WaveState

NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)  # a Saturday
EXPECTED = timedelta(minutes=30)


def wave(*states: ClusterState, state: WaveState = WaveState.RUNNING, **changes: object) -> Wave:
    clusters = tuple(
        WaveCluster(cluster_id=f"c{n}", name=f"stg-{n}", account="prod", region="cn-hangzhou", state=s,
                    ended_at=(NOW - timedelta(hours=2)).timestamp() if s in (ClusterState.SUCCEEDED, ClusterState.FAILED)
                    else None)
        for n, s in enumerate(states)
    )
    built = Wave(name="east", requester="U0ALICE", channel="C0PLATFORM", clusters=clusters, state=state,
                 max_parallel=2, canary=1, soak_s=0, failure_budget=5)
    return replace(built, **changes)  # type: ignore[arg-type]


def progress(w: Wave, freeze: Freeze | None = None) -> WaveProgress:
    return wave_progress(w, now=NOW, freeze=freeze, expected_duration=EXPECTED)


def test_a_cluster_seen_by_several_sources_counts_once_at_its_furthest_standing() -> None:
    seen = standings([
        Sighting("c1", "prod", "cn-hangzhou", Standing.FAILED),  # the wave failed it
        Sighting("c1", "prod", "cn-hangzhou", Standing.MIGRATED),  # then a migration on its own moved it
        Sighting("c2", "prod", "cn-hangzhou", Standing.WAITING),
        Sighting("c2", "prod", "cn-hangzhou", Standing.MIGRATING),
        Sighting("c3", "prod", "cn-hangzhou", Standing.WAITING),
    ])

    assert {cid: s.standing for cid, s in seen.items()} == {
        "c1": Standing.MIGRATED, "c2": Standing.MIGRATING, "c3": Standing.WAITING}


def test_places_count_each_standing_and_the_most_remaining_come_first() -> None:
    places = count_places([
        Sighting("a", "prod", "cn-hangzhou", Standing.MIGRATED),
        Sighting("b", "staging", "cn-beijing", Standing.FAILED),
        Sighting("c", "staging", "cn-beijing", Standing.WAITING),
    ])

    assert [(p.account, p.region, p.migrated, p.failed, p.waiting, p.remaining, p.total) for p in places] == [
        ("staging", "cn-beijing", 0, 1, 1, 2, 2), ("prod", "cn-hangzhou", 1, 0, 0, 0, 1)]


def test_a_skipped_wave_cluster_still_waits_to_be_migrated() -> None:
    assert wave_standing(ClusterState.SKIPPED) is Standing.WAITING
    assert wave_standing(ClusterState.SUCCEEDED) is Standing.MIGRATED


def test_a_running_wave_reports_its_counts_and_the_clusters_migrating_now() -> None:
    shown = progress(wave(ClusterState.SUCCEEDED, ClusterState.FAILED, ClusterState.RUNNING, ClusterState.PENDING))

    assert (shown.phase, shown.total, shown.succeeded, shown.failed, shown.done) == (WavePhase.RUNNING, 4, 1, 1, 2)
    assert shown.running == ("stg-2",)
    assert shown.next_window is None and shown.pause is None


def test_a_wave_not_yet_approved_is_awaiting_approval() -> None:
    assert progress(wave(ClusterState.PENDING, state=WaveState.AWAITING_APPROVAL)).phase is WavePhase.AWAITING_APPROVAL


def test_a_paused_wave_says_why() -> None:
    reason = PauseReason(cause=PauseCause.OPERATOR, by="U0BOB")

    shown = progress(wave(ClusterState.PENDING, state=WaveState.PAUSED, pause=reason))

    assert (shown.phase, shown.pause) == (WavePhase.PAUSED, reason)


def test_a_wave_held_by_the_freeze_says_so() -> None:
    freeze = Freeze(by="U0BOB", reason="sale", at=NOW - timedelta(minutes=5))

    assert progress(wave(ClusterState.SUCCEEDED, ClusterState.PENDING), freeze).phase is WavePhase.FROZEN


def test_a_wave_soaking_after_its_canary_says_so() -> None:
    soaking = wave(ClusterState.SUCCEEDED, ClusterState.PENDING, soak_s=3 * 3600.0)

    assert progress(soaking).phase is WavePhase.SOAKING


def test_a_wave_outside_its_window_waits_for_it_and_names_when_it_opens() -> None:
    weekdays = wave(ClusterState.SUCCEEDED, ClusterState.PENDING, windows=("Mon-Fri 22:00-02:00 UTC",))

    shown = progress(weekdays)

    assert shown.phase is WavePhase.WAITING_FOR_WINDOW
    assert shown.next_window == datetime(2026, 12, 7, 22, 0, tzinfo=UTC)  # Monday evening


def test_the_summary_adds_up_its_places_and_names_the_soonest_window() -> None:
    later = WaveProgress(name="b", phase=WavePhase.WAITING_FOR_WINDOW, total=1, next_window=NOW + timedelta(days=2))
    sooner = WaveProgress(name="a", phase=WavePhase.WAITING_FOR_WINDOW, total=1, next_window=NOW + timedelta(days=1))
    places = count_places([Sighting("x", "p", "r", Standing.MIGRATED), Sighting("y", "p", "r", Standing.MIGRATING),
                           Sighting("z", "q", "r", Standing.FAILED)])

    summary = FleetSummary(as_of=NOW, places=places, waves=(later, sooner))

    assert (summary.total, summary.migrated, summary.migrating, summary.failed, summary.remaining) == (3, 1, 1, 1, 2)
    assert summary.next_window == ("a", NOW + timedelta(days=1))
    assert FleetSummary(as_of=NOW).next_window is None
