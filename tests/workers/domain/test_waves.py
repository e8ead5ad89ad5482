"""The wave record's rules and its scheduling decision: every branch of `next_starts`, and each change
refused where the rules say so."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from workers.domain import waves
from workers.domain.freeze import Freeze
from workers.domain.risk import Environment, RankKey, RankReason
from workers.domain.waves import (
    AlreadyApprovedWave,
    Blocker,
    ClaimRefusal,
    ClusterState,
    IllegalWaveTransition,
    PauseCause,
    PauseReason,
    PauseWave,
    SelfApproval,
    StartNow,
    StartRefused,
    Wait,
    WaitReason,
    Wave,
    WaveCluster,
    WaveFinished,
    WaveRefused,
    WaveState,
    next_starts,
)

NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)  # a Saturday
T = NOW.timestamp()
EXPECTED = timedelta(minutes=30)


def make_wave(count: int = 4, *, state: WaveState = WaveState.RUNNING, **changes: object) -> Wave:
    clusters = tuple(WaveCluster(cluster_id=f"c{i}", name=f"web-{i}", account="main", region="cn-hangzhou")
                     for i in range(1, count + 1))
    settings: dict[str, object] = {"max_parallel": 2, "canary": 1, "soak_s": 1800.0, **changes}
    return Wave(name="w1", requester="UREQ", channel="C1", clusters=clusters, state=state,
                bucket_map={"cn-hangzhou": "ack-hz"}, **settings)  # type: ignore[arg-type]


def with_states(wave: Wave, **states: tuple[ClusterState, float | None]) -> Wave:
    """Set clusters' states directly (c1=(SUCCEEDED, ended_at)), as the store would have saved them."""
    clusters = []
    for c in wave.clusters:
        if c.cluster_id in states:
            state, ended = states[c.cluster_id]
            c = replace(c, state=state, started_at=T - 3600, ended_at=ended if state in waves.ENDED else None)
        clusters.append(c)
    return replace(wave, clusters=tuple(clusters))


def decide(wave: Wave, *, now: datetime = NOW, freeze: Freeze | None = None) -> waves.Decision:
    return next_starts(wave, now, freeze, EXPECTED)


# --- next_starts ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("state", "reason"),
    [(WaveState.REQUESTED, WaitReason.NOT_APPROVED), (WaveState.AWAITING_APPROVAL, WaitReason.NOT_APPROVED),
     (WaveState.PAUSED, WaitReason.PAUSED), (WaveState.CANCELLED, WaitReason.ENDED),
     (WaveState.DONE, WaitReason.ENDED), (WaveState.REJECTED, WaitReason.ENDED),
     (WaveState.EXPIRED, WaitReason.ENDED)],
)
def test_a_wave_that_is_not_approved_or_running_starts_nothing(state: WaveState, reason: WaitReason) -> None:
    assert decide(make_wave(state=state)) == Wait(reason)


def test_an_approved_wave_starts_its_canary_first_and_only_it() -> None:
    assert decide(make_wave(state=WaveState.APPROVED, max_parallel=3)) == StartNow(("c1",), canary=True)


def test_canaries_start_within_max_parallel() -> None:
    wave = make_wave(canary=3, max_parallel=2)
    assert decide(wave) == StartNow(("c1", "c2"), canary=True)
    wave = with_states(wave, c1=(ClusterState.RUNNING, None), c2=(ClusterState.RUNNING, None))
    assert decide(wave) == Wait(WaitReason.SLOTS_FULL)


def test_nothing_else_starts_while_a_canary_runs() -> None:
    wave = with_states(make_wave(max_parallel=3), c1=(ClusterState.RUNNING, None))
    assert decide(wave) == Wait(WaitReason.CANARIES_RUNNING)


def test_the_rest_wait_for_the_soak_after_the_last_canary_ends() -> None:
    ended = T - 600
    wave = with_states(make_wave(canary=2, max_parallel=2),
                       c1=(ClusterState.SUCCEEDED, ended - 300), c2=(ClusterState.SUCCEEDED, ended))
    soak_ends = datetime.fromtimestamp(ended, UTC) + timedelta(minutes=30)
    assert decide(wave) == Wait(WaitReason.SOAKING, soak_ends)
    assert decide(wave, now=soak_ends) == StartNow(("c3", "c4"), canary=False)


def test_without_canaries_the_first_clusters_start_at_once() -> None:
    assert decide(make_wave(canary=0, max_parallel=3)) == StartNow(("c1", "c2", "c3"), canary=False)


def test_without_a_soak_the_rest_start_when_the_canary_ends() -> None:
    wave = with_states(make_wave(soak_s=0.0), c1=(ClusterState.SUCCEEDED, T))
    assert decide(wave) == StartNow(("c2", "c3"), canary=False)


def test_a_canary_skipped_by_its_precheck_is_replaced_by_the_next_cluster() -> None:
    wave = with_states(make_wave(), c1=(ClusterState.SKIPPED, T - 60))
    assert decide(wave) == StartNow(("c2",), canary=True)


def test_no_more_than_max_parallel_run_at_once() -> None:
    wave = with_states(make_wave(6, max_parallel=3), c1=(ClusterState.SUCCEEDED, T - 7200),
                       c2=(ClusterState.RUNNING, None), c3=(ClusterState.RUNNING, None))
    assert decide(wave) == StartNow(("c4",), canary=False)
    wave = with_states(wave, c4=(ClusterState.RUNNING, None))
    assert decide(wave) == Wait(WaitReason.SLOTS_FULL)


def test_when_everything_has_started_the_wave_waits_for_the_ends() -> None:
    wave = with_states(make_wave(2), c1=(ClusterState.SUCCEEDED, T - 7200), c2=(ClusterState.RUNNING, None))
    assert decide(wave) == Wait(WaitReason.ALL_STARTED)


def test_when_every_cluster_has_ended_the_wave_is_finished() -> None:
    wave = with_states(make_wave(3, failure_budget=1), c1=(ClusterState.SUCCEEDED, T),
                       c2=(ClusterState.FAILED, T), c3=(ClusterState.SKIPPED, T))
    assert decide(wave) == WaveFinished(succeeded=1, failed=1, skipped=1)


def test_the_first_failure_pauses_the_wave_by_default() -> None:
    wave = with_states(make_wave(), c1=(ClusterState.SUCCEEDED, T - 7200), c2=(ClusterState.FAILED, T - 60))
    assert decide(wave) == PauseWave(PauseReason(cause=PauseCause.FAILURE_BUDGET, failures=1, budget=0,
                                                 failed=("web-2",)))


def test_failures_within_the_budget_do_not_pause() -> None:
    wave = with_states(make_wave(failure_budget=1, soak_s=0.0), c1=(ClusterState.FAILED, T - 60))
    assert decide(wave) == StartNow(("c2", "c3"), canary=False)
    wave = with_states(wave, c2=(ClusterState.FAILED, T - 30))
    assert isinstance(decide(wave), PauseWave)


def test_a_failure_with_nothing_left_to_start_does_not_pause() -> None:
    wave = with_states(make_wave(2), c1=(ClusterState.FAILED, T - 60), c2=(ClusterState.RUNNING, None))
    assert decide(wave) == Wait(WaitReason.ALL_STARTED)


def test_a_resumed_wave_counts_only_new_failures() -> None:
    wave = with_states(make_wave(soak_s=0.0), c1=(ClusterState.SUCCEEDED, T - 7200), c2=(ClusterState.FAILED, T))
    paused = waves.pause(wave, PauseReason(cause=PauseCause.FAILURE_BUDGET, failures=1))
    resumed = waves.resume(paused)
    assert resumed.pause is None
    assert decide(resumed) == StartNow(("c3", "c4"), canary=False)
    again = with_states(resumed, c3=(ClusterState.FAILED, T + 60))
    assert decide(again) == PauseWave(PauseReason(cause=PauseCause.FAILURE_BUDGET, failures=1, budget=0,
                                                  failed=("web-3",)))


def test_a_freeze_holds_every_start_until_it_ends() -> None:
    until = NOW + timedelta(hours=2)
    freeze = Freeze(by="U9", reason="incident", at=NOW - timedelta(minutes=5), until=until)
    assert decide(make_wave(), freeze=freeze) == Wait(WaitReason.FROZEN, until)
    assert decide(make_wave(), freeze=replace(freeze, until=None)) == Wait(WaitReason.FROZEN)
    assert decide(make_wave(), now=until, freeze=freeze) == StartNow(("c1",), canary=True)


def test_a_closed_window_holds_starts_until_it_opens() -> None:
    wave = make_wave(windows=("Sat 10:00-14:00 UTC",))
    assert decide(wave) == Wait(WaitReason.WINDOW_CLOSED, NOW.replace(hour=10))
    assert decide(wave, now=NOW.replace(hour=10)) == StartNow(("c1",), canary=True)


def test_no_migration_starts_when_less_than_its_expected_duration_is_left() -> None:
    wave = make_wave(windows=("Sat 01:00-03:20 UTC",))
    assert decide(wave, now=NOW.replace(hour=2, minute=50)) == StartNow(("c1",), canary=True)
    assert decide(wave, now=NOW.replace(hour=2, minute=51)) == Wait(
        WaitReason.WINDOW_TOO_SHORT, NOW.replace(hour=1) + timedelta(days=7))


def test_windows_too_short_for_any_migration_say_so() -> None:
    wave = make_wave(windows=("Sat 10:00-10:10 UTC",))
    assert decide(wave) == Wait(WaitReason.NO_WINDOW_LONG_ENOUGH)


def test_a_running_canary_is_the_reason_given_before_a_closed_window() -> None:
    wave = with_states(make_wave(windows=("Sat 10:00-14:00 UTC",)), c1=(ClusterState.RUNNING, None))
    assert decide(wave) == Wait(WaitReason.CANARIES_RUNNING)


# --- changes -------------------------------------------------------------------------------------------------

def test_a_wave_needs_its_approvals_from_people_other_than_the_requester() -> None:
    wave = make_wave(state=WaveState.AWAITING_APPROVAL, approvals_required=2)
    with pytest.raises(SelfApproval):
        waves.approve(wave, user="UREQ", at=T)
    once = waves.approve(wave, user="UA", at=T)
    assert (once.state, once.approvers) == (WaveState.AWAITING_APPROVAL, ["UA"])
    with pytest.raises(AlreadyApprovedWave):
        waves.approve(once, user="UA", at=T)
    twice = waves.approve(once, user="UB", at=T + 1)
    assert (twice.state, twice.decided_by, twice.decided_at) == (WaveState.APPROVED, "UB", T + 1)
    with pytest.raises(IllegalWaveTransition):
        waves.approve(twice, user="UC", at=T + 2)


def test_without_the_two_person_rule_the_requester_may_approve() -> None:
    wave = make_wave(state=WaveState.AWAITING_APPROVAL, approvals_required=1)
    assert waves.approve(wave, user="UREQ", at=T, two_person_rule=False).state is WaveState.APPROVED


def test_a_rejected_or_expired_request_stays_decided() -> None:
    wave = make_wave(state=WaveState.AWAITING_APPROVAL, expires_at=T)
    rejected = waves.reject(wave, user="UA", at=T)
    assert rejected.state is WaveState.REJECTED
    with pytest.raises(WaveRefused, match="not due"):
        waves.expire(wave, now=T - 1)
    assert waves.expire(wave, now=T).state is WaveState.EXPIRED
    with pytest.raises(IllegalWaveTransition):
        waves.expire(rejected, now=T)


def test_pause_resume_and_cancel_follow_the_state_machine() -> None:
    wave = make_wave()
    reason = PauseReason(cause=PauseCause.OPERATOR, by="UA")
    paused = waves.pause(wave, reason)
    assert (paused.state, paused.pause) == (WaveState.PAUSED, reason)
    with pytest.raises(IllegalWaveTransition):
        waves.pause(paused, reason)
    assert waves.resume(paused).state is WaveState.RUNNING
    with pytest.raises(IllegalWaveTransition):
        waves.resume(wave)
    cancelled = waves.cancel(paused, user="UA")
    assert cancelled.state is WaveState.CANCELLED and cancelled.terminal
    with pytest.raises(IllegalWaveTransition):
        waves.resume(cancelled)


def test_starting_a_cluster_is_refused_unless_the_rules_allow_it() -> None:
    wave = with_states(make_wave(max_parallel=1), c1=(ClusterState.RUNNING, None))
    for target, why in [("c1", ClaimRefusal.NOT_PENDING), ("c2", ClaimRefusal.SLOTS_FULL),
                        ("c9", ClaimRefusal.UNKNOWN_CLUSTER)]:
        with pytest.raises(StartRefused) as refused:
            waves.start_cluster(wave, target, at=T)
        assert refused.value.why is why
    with pytest.raises(StartRefused) as refused:
        waves.start_cluster(make_wave(state=WaveState.PAUSED), "c1", at=T)
    assert refused.value.why is ClaimRefusal.NOT_STARTING


def test_the_first_start_makes_an_approved_wave_running() -> None:
    started = waves.start_cluster(make_wave(state=WaveState.APPROVED), "c1", at=T, record_id="m-1")
    assert started.state is WaveState.RUNNING
    first = started.clusters[0]
    assert (first.state, first.started_at, first.record_id) == (ClusterState.RUNNING, T, "m-1")


def test_a_cluster_ends_once_and_a_cancelled_wave_still_records_it() -> None:
    wave = waves.cancel(with_states(make_wave(), c1=(ClusterState.RUNNING, None)), user="UA")
    ended = waves.end_cluster(wave, "c1", ClusterState.FAILED, at=T, error="task failed at stage 3")
    assert (ended.clusters[0].state, ended.clusters[0].error) == (ClusterState.FAILED, "task failed at stage 3")
    with pytest.raises(WaveRefused, match="cannot become succeeded"):
        waves.end_cluster(ended, "c1", ClusterState.SUCCEEDED, at=T)
    with pytest.raises(WaveRefused, match="cannot become succeeded"):
        waves.end_cluster(ended, "c2", ClusterState.SUCCEEDED, at=T)  # never started
    with pytest.raises(ValueError, match="needs its blocker"):
        waves.end_cluster(ended, "c2", ClusterState.SKIPPED, at=T)
    skipped = waves.end_cluster(ended, "c2", ClusterState.SKIPPED, at=T, blocker=Blocker("slb-spec", "shared SLB"))
    assert skipped.clusters[1].blocker == Blocker("slb-spec", "shared SLB")


def test_a_wave_is_done_only_when_nothing_is_left() -> None:
    with pytest.raises(WaveRefused, match="still has clusters"):
        waves.finish(make_wave())
    done = waves.finish(with_states(make_wave(1), c1=(ClusterState.SUCCEEDED, T)))
    assert done.state is WaveState.DONE


def test_a_wave_survives_its_json() -> None:
    wave = with_states(
        make_wave(windows=("Mon-Fri 22:00-02:00 UTC",), expires_at=T + 3600, patterns=("web-*",),
                  account="main", failures_forgiven=1,
                  pause=PauseReason(cause=PauseCause.FAILURE_BUDGET, failures=2, budget=1, failed=("a", "b"))),
        c1=(ClusterState.SKIPPED, T),
    )
    wave = replace(wave, approvals=(waves.Approval(user="UA", at=T),), clusters=(
        replace(wave.clusters[0], blocker=Blocker("k8s-version", "1.16"),
                rank=RankReason(position=1, environment=Environment.NON_PRODUCTION, matched_pattern="*dev*",
                                warnings=0, nodes=3, ahead_by=RankKey.NODES)),
        *wave.clusters[1:]))
    assert Wave.from_json(wave.to_json()) == wave


# --- composing and projecting --------------------------------------------------------------------------------

def test_a_wave_lists_ready_clusters_in_risk_order_then_the_blocked_ones() -> None:
    candidates = [
        waves.Candidate("c1", "prod-a", "main", "cn-hangzhou", warnings=0, nodes=3),
        waves.Candidate("c2", "web-dev", "main", "cn-beijing", warnings=1, nodes=9),
        waves.Candidate("c3", "prod-b", "b", "cn-hangzhou", warnings=0, nodes=3,
                        blocker=Blocker("k8s-version", "Kubernetes 1.16 is below 1.18")),
        waves.Candidate("c4", "prod-c", "main", "cn-hangzhou", warnings=2, nodes=1),
    ]
    composed = waves.compose_clusters(candidates, nonprod_patterns=("*dev*",))
    assert [(c.name, c.state) for c in composed] == [
        ("web-dev", ClusterState.PENDING), ("prod-a", ClusterState.PENDING), ("prod-c", ClusterState.PENDING),
        ("prod-b", ClusterState.SKIPPED)]
    assert composed[0].rank is not None and composed[0].rank.ahead_by is RankKey.ENVIRONMENT
    assert composed[1].rank is not None and composed[1].rank.ahead_by is RankKey.WARNINGS
    assert composed[3].blocker == Blocker("k8s-version", "Kubernetes 1.16 is below 1.18")
    assert waves.regions_without_bucket(composed, {"cn-hangzhou": "ack-hz"}) == ["cn-beijing"]


def test_the_projection_shows_canary_soak_parallel_starts_and_the_end() -> None:
    wave = make_wave(5, state=WaveState.AWAITING_APPROVAL, max_parallel=2, canary=1, soak_s=3600.0)
    projection = waves.project(wave, NOW, EXPECTED)
    at = {cluster_id: start for cluster_id, start in projection.starts}
    assert at["c1"] == NOW
    assert at["c2"] == at["c3"] == NOW + EXPECTED + timedelta(hours=1)
    assert at["c4"] == at["c5"] == at["c2"] + EXPECTED
    assert projection.ends_at == at["c4"] + EXPECTED


def test_the_projection_waits_for_windows() -> None:
    wave = make_wave(2, state=WaveState.AWAITING_APPROVAL, max_parallel=1, canary=0,
                     windows=("Sat 02:00-03:00 UTC",))  # room for two 30-minute migrations a week
    projection = waves.project(wave, NOW, EXPECTED)  # NOW is Saturday 03:00: this week's has closed
    next_week = NOW.replace(hour=2) + timedelta(days=7)
    assert projection.starts == (("c1", next_week), ("c2", next_week + EXPECTED))


def test_a_projection_that_cannot_place_every_cluster_has_no_end() -> None:
    wave = make_wave(1, state=WaveState.AWAITING_APPROVAL, windows=("Sat 02:00-02:10 UTC",))
    assert waves.project(wave, NOW, EXPECTED) == waves.Projection((), None)


def test_a_running_wave_is_projected_from_where_it_is() -> None:
    wave = with_states(make_wave(3, max_parallel=1, canary=0), c1=(ClusterState.RUNNING, None))
    wave = replace(wave, clusters=(replace(wave.clusters[0], started_at=T - 600), *wave.clusters[1:]))
    projection = waves.project(wave, NOW, EXPECTED)
    assert projection.starts == (("c2", NOW + timedelta(minutes=20)), ("c3", NOW + timedelta(minutes=50)))
