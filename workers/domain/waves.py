"""A wave: many clusters migrated in risk order, canaries first, inside windows, paused by failures.

A `Wave` is one record: what was asked (the clusters in order, buckets, parallelism, windows, canaries,
soak, failure budget), who approved, and where each cluster stands. It is stored by
`workers.wave_store.WaveStore`; every change here is a pure function from a wave to the next wave, which
the store applies with a compare-and-set, so two workers can never both make the same change.

Wave states (a transition not listed is refused):

    requested → awaiting_approval → approved → running ⇄ paused → done
    early ends: rejected, expired (from awaiting_approval); cancelled (from any state that is not an end)

`approved` becomes `running` when the first cluster starts. `cancelled` stops the starts only: clusters
already running are followed to their end and recorded (MigrateCluster cannot be rolled back).

Cluster states: pending → running → succeeded | failed | skipped; pending → skipped. `skipped` carries the
blocker: found when the wave was requested, or by the fresh precheck just before the cluster's start.

`next_starts(wave, now, freeze, expected_duration)` is the whole scheduling policy, pure: which clusters
to start now, or why not and when to look again, or that the wave must pause or is done. The hard limits
(never more than `max_parallel` running, never a cluster twice, nothing while paused or frozen) are also
enforced by the store's claim, so a decision taken on a stale copy cannot break them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from workers.domain.freeze import Freeze
from workers.domain.records import Approval
from workers.domain.risk import Environment, RankKey, RankReason, RiskInput, rank_by_risk
from workers.domain.windows import Schedule, parse_schedule

DEFAULT_MAX_PARALLEL = 1
DEFAULT_CANARY = 1
DEFAULT_SOAK = timedelta(minutes=30)
DEFAULT_FAILURE_BUDGET = 0  # the first failure pauses the wave


class WaveState(StrEnum):
    REQUESTED = "requested"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    EXPIRED = "expired"


TRANSITIONS: dict[WaveState, frozenset[WaveState]] = {
    WaveState.REQUESTED: frozenset({WaveState.AWAITING_APPROVAL, WaveState.CANCELLED}),
    WaveState.AWAITING_APPROVAL: frozenset({WaveState.APPROVED, WaveState.REJECTED, WaveState.EXPIRED,
                                            WaveState.CANCELLED}),
    WaveState.APPROVED: frozenset({WaveState.RUNNING, WaveState.PAUSED, WaveState.DONE, WaveState.CANCELLED}),
    WaveState.RUNNING: frozenset({WaveState.PAUSED, WaveState.DONE, WaveState.CANCELLED}),
    WaveState.PAUSED: frozenset({WaveState.RUNNING, WaveState.CANCELLED}),
}

TERMINAL: frozenset[WaveState] = frozenset(
    {WaveState.DONE, WaveState.CANCELLED, WaveState.REJECTED, WaveState.EXPIRED}
)
STARTING: frozenset[WaveState] = frozenset({WaveState.APPROVED, WaveState.RUNNING})
"""The states in which clusters may start."""


class ClusterState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


ENDED: frozenset[ClusterState] = frozenset({ClusterState.SUCCEEDED, ClusterState.FAILED, ClusterState.SKIPPED})
_CLUSTER_TRANSITIONS: dict[ClusterState, frozenset[ClusterState]] = {
    ClusterState.PENDING: frozenset({ClusterState.RUNNING, ClusterState.SKIPPED}),
    ClusterState.RUNNING: ENDED,
}


# -- refusals -----------------------------------------------------------------------------------------------

class WaveRefused(Exception):
    """A change the wave's rules do not allow; the wave is left as it was. str() says why."""


class IllegalWaveTransition(WaveRefused):
    def __init__(self, name: str, current: WaveState, wanted: WaveState) -> None:
        self.name, self.current, self.wanted = name, current, wanted
        super().__init__(f"wave {name} is {current}; it cannot become {wanted}")


class SelfApproval(WaveRefused):
    def __init__(self, name: str, user: str) -> None:
        self.user = user
        super().__init__(f"{user} requested wave {name} and cannot approve it too")


class AlreadyApprovedWave(WaveRefused):
    def __init__(self, name: str, user: str) -> None:
        self.user = user
        super().__init__(f"{user} already approved wave {name}")


class ClaimRefusal(StrEnum):
    """Why a cluster was not started (the store's claim and `start_cluster` agree on these)."""

    NOT_STARTING = "not_starting"  # the wave is not approved or running (paused, cancelled, ended…)
    NOT_PENDING = "not_pending"  # already started (by another worker), or ended
    SLOTS_FULL = "slots_full"  # max_parallel clusters are running
    FROZEN = "frozen"  # a freeze is active
    UNKNOWN_CLUSTER = "unknown_cluster"


class StartRefused(WaveRefused):
    def __init__(self, name: str, cluster_id: str, why: ClaimRefusal) -> None:
        self.cluster_id, self.why = cluster_id, why
        super().__init__(f"wave {name} cannot start {cluster_id}: {why}")


# -- the record ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Blocker:
    """Why a cluster is skipped: the precheck that blocks it and what it found."""

    check_id: str
    summary: str


class PauseCause(StrEnum):
    FAILURE_BUDGET = "failure_budget"  # more failures than the wave allows
    OPERATOR = "operator"  # someone ran `wave pause`


@dataclass(frozen=True)
class PauseReason:
    cause: PauseCause
    by: str | None = None  # OPERATOR: the Slack user
    failures: int = 0  # FAILURE_BUDGET: failures counted against the budget
    budget: int = 0
    failed: tuple[str, ...] = ()  # FAILURE_BUDGET: names of the failed clusters counted


@dataclass(frozen=True)
class WaveCluster:
    """One cluster of a wave, in its place in the order."""

    cluster_id: str
    name: str
    account: str
    region: str
    state: ClusterState = ClusterState.PENDING
    rank: RankReason | None = None  # why it is where it is (risk.rank_by_risk)
    blocker: Blocker | None = None  # SKIPPED: why
    record_id: str | None = None  # its migration request: the thread the wave's thread links to
    started_at: float | None = None
    ended_at: float | None = None
    error: str | None = None  # FAILED: what went wrong, in words

    @property
    def qualified(self) -> str:
        return f"{self.account}/{self.name}"


@dataclass(frozen=True)
class Wave:
    """A wave and everything learnt while carrying it out. Times are Unix epoch seconds, like `Record`'s."""

    name: str
    requester: str  # Slack user id
    channel: str
    clusters: tuple[WaveCluster, ...] = ()
    bucket_map: dict[str, str] = field(default_factory=dict)  # region → OSS bucket
    max_parallel: int = DEFAULT_MAX_PARALLEL
    windows: tuple[str, ...] = ()  # canonical window specs (windows.Window.spec); none: any time
    canary: int = DEFAULT_CANARY
    soak_s: float = DEFAULT_SOAK.total_seconds()
    failure_budget: int = DEFAULT_FAILURE_BUDGET
    approvals_required: int = 2  # fixed when requested, so a settings change cannot move it
    approvals: tuple[Approval, ...] = ()
    state: WaveState = WaveState.REQUESTED
    patterns: tuple[str, ...] = ()  # --clusters as typed
    account: str | None = None  # --account as typed
    region: str | None = None  # --region as typed
    created_at: float = 0.0
    updated_at: float = 0.0
    expires_at: float | None = None  # when an undecided request lapses
    decided_by: str | None = None
    decided_at: float | None = None
    pause: PauseReason | None = None  # while PAUSED: why
    failures_forgiven: int = 0  # failures a resume accepted; only later ones count against the budget
    reason: str | None = None  # kept so waves stored by an earlier release still load (it held an English
    # sentence such as "Rejected by U…."); the UI words an ending from `state` and `decided_by`
    rejection_reason: str | None = None  # REJECTED: what the approver typed in the reject dialog, if anything
    message_ts: str | None = None  # the wave's parent message
    version: int = 0  # bumped by every write; lets the store refuse a stale overwrite

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    @property
    def schedule(self) -> Schedule:
        return parse_schedule(self.windows)

    @property
    def soak(self) -> timedelta:
        return timedelta(seconds=self.soak_s)

    @property
    def approvers(self) -> list[str]:
        return [approval.user for approval in self.approvals]

    def cluster(self, cluster_id: str) -> WaveCluster | None:
        return next((c for c in self.clusters if c.cluster_id == cluster_id), None)

    def in_state(self, *states: ClusterState) -> list[WaveCluster]:
        return [c for c in self.clusters if c.state in states]

    @property
    def running(self) -> list[WaveCluster]:
        return self.in_state(ClusterState.RUNNING)

    @property
    def pending(self) -> list[WaveCluster]:
        return self.in_state(ClusterState.PENDING)

    @property
    def canaries(self) -> list[WaveCluster]:
        """The first `canary` clusters that were not skipped: a skipped one proves nothing, the next stands in."""
        return [c for c in self.clusters if c.state is not ClusterState.SKIPPED][: self.canary]

    @property
    def counted_failures(self) -> list[WaveCluster]:
        """Failures that count against the budget: those after the last resume."""
        failed = sorted(self.in_state(ClusterState.FAILED), key=lambda c: c.ended_at or 0.0)
        return failed[self.failures_forgiven :]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> Wave:
        data: dict[str, Any] = json.loads(text)
        return _wave(data)


# -- changes (pure: a wave in, the next wave out, or WaveRefused) -----------------------------------------

def check_transition(wave: Wave, wanted: WaveState) -> None:
    if wanted not in TRANSITIONS.get(wave.state, frozenset()):
        raise IllegalWaveTransition(wave.name, wave.state, wanted)


def propose(wave: Wave, *, clusters: Iterable[WaveCluster], expires_at: float) -> Wave:
    """The clusters are resolved and prechecked: the request now waits for its approvers."""
    check_transition(wave, WaveState.AWAITING_APPROVAL)
    return replace(wave, state=WaveState.AWAITING_APPROVAL, clusters=tuple(clusters), expires_at=expires_at)


def approve(wave: Wave, *, user: str, at: float, two_person_rule: bool = True) -> Wave:
    """Count `user`'s approval; the one that completes `approvals_required` approves the wave."""
    check_transition(wave, WaveState.APPROVED)
    if two_person_rule and user == wave.requester:
        raise SelfApproval(wave.name, user)
    if user in wave.approvers:
        raise AlreadyApprovedWave(wave.name, user)
    approvals = (*wave.approvals, Approval(user=user, at=at))
    if len(approvals) < wave.approvals_required:
        return replace(wave, approvals=approvals)
    return replace(wave, approvals=approvals, state=WaveState.APPROVED, decided_by=user, decided_at=at)


def reject(wave: Wave, *, user: str, at: float, reason: str | None = None) -> Wave:
    """`reason` is kept apart from the legacy `reason`, which an earlier release filled with its own words."""
    check_transition(wave, WaveState.REJECTED)
    return replace(wave, state=WaveState.REJECTED, decided_by=user, decided_at=at, rejection_reason=reason)


def expire(wave: Wave, *, now: float) -> Wave:
    check_transition(wave, WaveState.EXPIRED)
    if wave.expires_at is None or wave.expires_at > now:
        raise WaveRefused(f"wave {wave.name} is not due to expire")
    return replace(wave, state=WaveState.EXPIRED)


def pause(wave: Wave, reason: PauseReason) -> Wave:
    check_transition(wave, WaveState.PAUSED)
    return replace(wave, state=WaveState.PAUSED, pause=reason)


def resume(wave: Wave) -> Wave:
    """Running again; the failures so far are accepted, so the budget counts only new ones."""
    check_transition(wave, WaveState.RUNNING)
    failed = len(wave.in_state(ClusterState.FAILED))
    return replace(wave, state=WaveState.RUNNING, pause=None, failures_forgiven=failed)


def cancel(wave: Wave, *, user: str) -> Wave:
    check_transition(wave, WaveState.CANCELLED)
    return replace(wave, state=WaveState.CANCELLED, decided_by=user)


def finish(wave: Wave) -> Wave:
    """Every cluster has ended (succeeded, failed or skipped)."""
    check_transition(wave, WaveState.DONE)
    if wave.pending or wave.running:
        raise WaveRefused(f"wave {wave.name} still has clusters to start or follow")
    return replace(wave, state=WaveState.DONE)


def start_cluster(wave: Wave, cluster_id: str, *, at: float, record_id: str | None = None) -> Wave:
    """Mark a pending cluster running, within `max_parallel`; the wave's first start makes it `running`."""
    if wave.state not in STARTING:
        raise StartRefused(wave.name, cluster_id, ClaimRefusal.NOT_STARTING)
    cluster = wave.cluster(cluster_id)
    if cluster is None:
        raise StartRefused(wave.name, cluster_id, ClaimRefusal.UNKNOWN_CLUSTER)
    if cluster.state is not ClusterState.PENDING:
        raise StartRefused(wave.name, cluster_id, ClaimRefusal.NOT_PENDING)
    if len(wave.running) >= wave.max_parallel:
        raise StartRefused(wave.name, cluster_id, ClaimRefusal.SLOTS_FULL)
    started = replace(cluster, state=ClusterState.RUNNING, started_at=at, record_id=record_id)
    return replace(_with_cluster(wave, started), state=WaveState.RUNNING)


def end_cluster(
    wave: Wave, cluster_id: str, outcome: ClusterState, *, at: float,
    blocker: Blocker | None = None, error: str | None = None,
) -> Wave:
    """A cluster's migration ended (or its fresh precheck blocked it). Allowed in any wave state: a
    cancelled or paused wave still follows what it started."""
    if outcome not in ENDED:
        raise ValueError(f"{outcome} is not an end")
    if outcome is ClusterState.SKIPPED and blocker is None:
        raise ValueError("a skipped cluster needs its blocker")
    cluster = wave.cluster(cluster_id)
    if cluster is None:
        raise WaveRefused(f"wave {wave.name} has no cluster {cluster_id}")
    if outcome not in _CLUSTER_TRANSITIONS.get(cluster.state, frozenset()):
        raise WaveRefused(f"{cluster.name} in wave {wave.name} is {cluster.state}; it cannot become {outcome}")
    ended = replace(cluster, state=outcome, ended_at=at, blocker=blocker, error=error)
    return _with_cluster(wave, ended)


def _with_cluster(wave: Wave, changed: WaveCluster) -> Wave:
    return replace(wave, clusters=tuple(changed if c.cluster_id == changed.cluster_id else c for c in wave.clusters))


# -- the scheduling decision --------------------------------------------------------------------------------

class WaitReason(StrEnum):
    NOT_APPROVED = "not_approved"
    PAUSED = "paused"
    ENDED = "ended"  # done, cancelled, rejected or expired: nothing will start again
    FROZEN = "frozen"
    ALL_STARTED = "all_started"  # nothing pending; waiting for running clusters to end
    CANARIES_RUNNING = "canaries_running"
    SOAKING = "soaking"
    SLOTS_FULL = "slots_full"
    WINDOW_CLOSED = "window_closed"
    WINDOW_TOO_SHORT = "window_too_short"  # open, but ends before a migration would
    NO_WINDOW_LONG_ENOUGH = "no_window_long_enough"  # no opening in two weeks fits a migration


@dataclass(frozen=True)
class StartNow:
    """Claim and start these clusters, in this order."""

    cluster_ids: tuple[str, ...]
    canary: bool  # they are canaries (the others wait for them and the soak)


@dataclass(frozen=True)
class Wait:
    """Start nothing now. Look again at `until`; None: when something happens (a cluster ends, a resume,
    an unfreeze, an approval)."""

    reason: WaitReason
    until: datetime | None = None


@dataclass(frozen=True)
class PauseWave:
    """Failures exceed the budget: pause, and say why in the channel."""

    reason: PauseReason


@dataclass(frozen=True)
class WaveFinished:
    """Nothing left to start or follow: the wave is done."""

    succeeded: int
    failed: int
    skipped: int


Decision = StartNow | Wait | PauseWave | WaveFinished


def next_starts(wave: Wave, now: datetime, freeze: Freeze | None, expected_duration: timedelta) -> Decision:
    """What the wave should do now. Each rule below is checked in order; the first that holds decides."""
    if wave.state not in STARTING:
        return Wait(_idle_reason(wave.state))
    pending, running = wave.pending, wave.running
    if not pending and not running:
        return WaveFinished(succeeded=len(wave.in_state(ClusterState.SUCCEEDED)),
                            failed=len(wave.in_state(ClusterState.FAILED)),
                            skipped=len(wave.in_state(ClusterState.SKIPPED)))
    failures = wave.counted_failures
    if pending and len(failures) > wave.failure_budget:
        return PauseWave(PauseReason(cause=PauseCause.FAILURE_BUDGET, failures=len(failures),
                                     budget=wave.failure_budget, failed=tuple(c.name for c in failures)))
    if freeze is not None and freeze.active(now):
        return Wait(WaitReason.FROZEN, freeze.until)
    if not pending:
        return Wait(WaitReason.ALL_STARTED)
    candidates, canary = _candidates(wave, now)
    if isinstance(candidates, Wait):
        return candidates
    slots = wave.max_parallel - len(running)
    if slots <= 0:
        return Wait(WaitReason.SLOTS_FULL)
    closed = _window_wait(wave.schedule, now, expected_duration)
    if closed is not None:
        return closed
    return StartNow(tuple(c.cluster_id for c in candidates[:slots]), canary=canary)


def _idle_reason(state: WaveState) -> WaitReason:
    if state in (WaveState.REQUESTED, WaveState.AWAITING_APPROVAL):
        return WaitReason.NOT_APPROVED
    if state is WaveState.PAUSED:
        return WaitReason.PAUSED
    return WaitReason.ENDED


def _candidates(wave: Wave, now: datetime) -> tuple[list[WaveCluster] | Wait, bool]:
    """The pending canaries while any canary has not ended; after the soak, every pending cluster."""
    canaries = wave.canaries
    if any(c.state not in ENDED for c in canaries):
        waiting = [c for c in canaries if c.state is ClusterState.PENDING]
        return (waiting or Wait(WaitReason.CANARIES_RUNNING)), True
    if canaries and wave.soak_s > 0:
        soak_ends = _moment(max(c.ended_at or 0.0 for c in canaries)) + wave.soak
        if now < soak_ends:
            return Wait(WaitReason.SOAKING, soak_ends), False
    return wave.pending, False


def _window_wait(schedule: Schedule, now: datetime, expected: timedelta) -> Wait | None:
    """None when a migration started now would end inside the window; else how long to wait."""
    left = schedule.time_left(now)
    if left is None or left >= expected:
        return None
    reopens = schedule.next_opening(now, long_enough=expected)
    if reopens is None:
        return Wait(WaitReason.NO_WINDOW_LONG_ENOUGH)
    return Wait(WaitReason.WINDOW_TOO_SHORT if left > timedelta(0) else WaitReason.WINDOW_CLOSED, reopens)


def _moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


# -- composing a wave, and projecting its schedule -----------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    """A cluster the wave's patterns matched, with what its precheck found."""

    cluster_id: str
    name: str
    account: str
    region: str
    warnings: int
    nodes: int
    blocker: Blocker | None = None  # a blocking check: the cluster is listed as skipped


def compose_clusters(candidates: Iterable[Candidate], *, nonprod_patterns: tuple[str, ...]) -> tuple[WaveCluster, ...]:
    """The wave's clusters: the ready ones in risk order (each with its rank), then the blocked ones, skipped,
    each with its blocker, by name."""
    chosen = list(candidates)
    ready = {c.cluster_id: c for c in chosen if c.blocker is None}
    ranked = rank_by_risk((RiskInput(c.cluster_id, c.name, c.warnings, c.nodes) for c in ready.values()),
                          nonprod_patterns=nonprod_patterns)
    ordered = [WaveCluster(cluster_id=r.cluster.cluster_id, name=r.cluster.name,
                           account=ready[r.cluster.cluster_id].account, region=ready[r.cluster.cluster_id].region,
                           rank=r.reason) for r in ranked]
    blocked = sorted((c for c in chosen if c.blocker is not None), key=lambda c: (c.name, c.cluster_id))
    ordered += [WaveCluster(cluster_id=c.cluster_id, name=c.name, account=c.account, region=c.region,
                            state=ClusterState.SKIPPED, blocker=c.blocker) for c in blocked]
    return tuple(ordered)


def regions_without_bucket(clusters: Iterable[WaveCluster], bucket_map: dict[str, str]) -> list[str]:
    """Regions of clusters that would be migrated but have no bucket in the map (the request must say so)."""
    return sorted({c.region for c in clusters if c.state is not ClusterState.SKIPPED and c.region not in bucket_map})


@dataclass(frozen=True)
class Projection:
    """When each cluster would start if every migration took the expected time and succeeded."""

    starts: tuple[tuple[str, datetime], ...]  # (cluster id, start), in start order
    ends_at: datetime | None  # None: some cluster could not be placed (no window long enough)


def project(wave: Wave, now: datetime, expected_duration: timedelta, *, max_steps: int = 10_000) -> Projection:
    """The schedule the request message shows: `next_starts` run on a simulated clock from an approved copy
    (a freeze is ignored: nobody can tell when one will be lifted)."""
    simulated = replace(wave, state=WaveState.APPROVED if wave.state in (
        WaveState.REQUESTED, WaveState.AWAITING_APPROVAL) else wave.state)
    clock, starts = now, list[tuple[str, datetime]]()
    # Clusters already running end when expected (or now, if they are late).
    ends = {c.cluster_id: max(now, _moment(c.started_at or now.timestamp()) + expected_duration)
            for c in simulated.running}
    for _ in range(max_steps):
        decision = next_starts(simulated, clock, None, expected_duration)
        if isinstance(decision, WaveFinished):
            return Projection(tuple(starts), max((end for _, end in _ended(simulated)), default=clock))
        if isinstance(decision, StartNow):
            for cluster_id in decision.cluster_ids:
                simulated = start_cluster(simulated, cluster_id, at=clock.timestamp())
                ends[cluster_id] = clock + expected_duration
                starts.append((cluster_id, clock))
            continue
        if isinstance(decision, PauseWave):
            break  # cannot happen: nothing fails in a projection
        moments = [t for t in (decision.until, min(ends.values(), default=None)) if t is not None]
        if not moments:
            break  # nothing running and nothing to wait for: paused, ended, or no window long enough
        clock = max(clock, min(moments))
        for cluster_id, end in list(ends.items()):
            if end <= clock:
                simulated = end_cluster(simulated, cluster_id, ClusterState.SUCCEEDED, at=end.timestamp())
                del ends[cluster_id]
    return Projection(tuple(starts), None)


def _ended(wave: Wave) -> list[tuple[str, datetime]]:
    return [(c.cluster_id, _moment(c.ended_at)) for c in wave.clusters if c.ended_at is not None]


# -- JSON ---------------------------------------------------------------------------------------------------

def _wave(data: dict[str, Any]) -> Wave:
    pause_data = data.get("pause")
    return Wave(
        name=str(data["name"]), requester=str(data["requester"]), channel=str(data["channel"]),
        clusters=tuple(_cluster(item) for item in data.get("clusters") or ()),
        bucket_map={str(k): str(v) for k, v in (data.get("bucket_map") or {}).items()},
        max_parallel=int(data["max_parallel"]), windows=tuple(data.get("windows") or ()),
        canary=int(data["canary"]), soak_s=float(data["soak_s"]), failure_budget=int(data["failure_budget"]),
        approvals_required=int(data["approvals_required"]),
        approvals=tuple(Approval(user=str(a["user"]), at=float(a["at"])) for a in data.get("approvals") or ()),
        state=WaveState(data["state"]), patterns=tuple(data.get("patterns") or ()),
        account=data.get("account"), region=data.get("region"),
        created_at=float(data["created_at"]), updated_at=float(data["updated_at"]),
        expires_at=data.get("expires_at"), decided_by=data.get("decided_by"), decided_at=data.get("decided_at"),
        pause=None if pause_data is None else PauseReason(
            cause=PauseCause(pause_data["cause"]), by=pause_data.get("by"), failures=int(pause_data["failures"]),
            budget=int(pause_data["budget"]), failed=tuple(pause_data.get("failed") or ())),
        failures_forgiven=int(data.get("failures_forgiven", 0)), reason=data.get("reason"),
        rejection_reason=data.get("rejection_reason"), message_ts=data.get("message_ts"), version=int(data.get("version", 0)),
    )


def _cluster(data: dict[str, Any]) -> WaveCluster:
    rank, blocker = data.get("rank"), data.get("blocker")
    return WaveCluster(
        cluster_id=str(data["cluster_id"]), name=str(data["name"]), account=str(data["account"]),
        region=str(data["region"]), state=ClusterState(data["state"]),
        rank=None if rank is None else RankReason(
            position=int(rank["position"]), environment=Environment(rank["environment"]),
            matched_pattern=rank.get("matched_pattern"), warnings=int(rank["warnings"]), nodes=int(rank["nodes"]),
            ahead_by=RankKey(rank["ahead_by"])),
        blocker=None if blocker is None else Blocker(check_id=str(blocker["check_id"]),
                                                     summary=str(blocker["summary"])),
        record_id=data.get("record_id"), started_at=data.get("started_at"), ended_at=data.get("ended_at"),
        error=data.get("error"),
    )
