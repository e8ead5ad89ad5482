"""The fleet at a glance, as the App Home tab shows it: plain values, no Redis, no Slack.

Built by `workers.home` from the wave store, the freeze store and the migration records, and rendered by
`workers.ui.home`. Keeping it a typed value between the two lets the renderer be tested with 500 clusters
without a store, and the gathering without Slack. The rules that turn waves and records into it are here,
pure: what a cluster's standing is when several sources speak of it, and what a wave is doing now.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from workers.domain.freeze import Freeze
from workers.domain.waves import (
    ClusterState,
    PauseReason,
    Wait,
    WaitReason,
    Wave,
    WaveState,
    next_starts,
)


class Standing(StrEnum):
    """Where one dedicated cluster stands in the migration, for counting."""

    MIGRATED = "migrated"  # its migration succeeded: it is ACK Pro now
    MIGRATING = "migrating"  # a migration is running
    FAILED = "failed"  # its last migration failed; it is still dedicated
    WAITING = "waiting"  # not started yet (in a wave's queue, or skipped by its precheck)


_PRECEDENCE = (Standing.MIGRATED, Standing.MIGRATING, Standing.FAILED, Standing.WAITING)
"""When two sources disagree (a wave that failed a cluster, then a single migration that moved it), the
furthest along wins: a migrated cluster is migrated whatever happened before."""


@dataclass(frozen=True)
class Sighting:
    """One source's word on one cluster: a wave's entry, or a migration record."""

    cluster_id: str
    account: str
    region: str
    standing: Standing


def standings(sightings: Iterable[Sighting]) -> dict[str, Sighting]:
    """One sighting per cluster, the furthest along (see _PRECEDENCE); the first seen wins a tie."""
    best: dict[str, Sighting] = {}
    for sighting in sightings:
        known = best.get(sighting.cluster_id)
        if known is None or _PRECEDENCE.index(sighting.standing) < _PRECEDENCE.index(known.standing):
            best[sighting.cluster_id] = sighting
    return best


def wave_standing(state: ClusterState) -> Standing:
    return {
        ClusterState.SUCCEEDED: Standing.MIGRATED,
        ClusterState.RUNNING: Standing.MIGRATING,
        ClusterState.FAILED: Standing.FAILED,
        ClusterState.PENDING: Standing.WAITING,
        ClusterState.SKIPPED: Standing.WAITING,
    }[state]


@dataclass(frozen=True)
class PlaceProgress:
    """One account × region: how many of its dedicated clusters are where."""

    account: str
    region: str
    migrated: int = 0
    migrating: int = 0
    failed: int = 0
    waiting: int = 0

    @property
    def total(self) -> int:
        return self.migrated + self.migrating + self.failed + self.waiting

    @property
    def remaining(self) -> int:
        """Not yet ACK Pro: everything but the migrated."""
        return self.total - self.migrated


def count_places(sightings: Iterable[Sighting]) -> tuple[PlaceProgress, ...]:
    """One PlaceProgress per account × region, the places with the most remaining first."""
    counts: dict[tuple[str, str], Counter[Standing]] = {}
    for s in sightings:
        counts.setdefault((s.account, s.region), Counter())[s.standing] += 1
    places = [
        PlaceProgress(account=account, region=region, migrated=c[Standing.MIGRATED], migrating=c[Standing.MIGRATING],
                      failed=c[Standing.FAILED], waiting=c[Standing.WAITING])
        for (account, region), c in counts.items()
    ]
    return tuple(sorted(places, key=lambda p: (-p.remaining, p.account, p.region)))


class WavePhase(StrEnum):
    """What a wave in flight is doing now, in the words a person reading the Home tab needs."""

    AWAITING_APPROVAL = "awaiting approval"
    RUNNING = "running"
    SOAKING = "soaking after the canary"
    WAITING_FOR_WINDOW = "waiting for its window"
    FROZEN = "held by the freeze"
    PAUSED = "paused"


_WINDOW_WAITS = frozenset({WaitReason.WINDOW_CLOSED, WaitReason.WINDOW_TOO_SHORT, WaitReason.NO_WINDOW_LONG_ENOUGH})


@dataclass(frozen=True)
class WaveProgress:
    """One wave that has not ended: its counts, what runs now, and when it may next start something."""

    name: str
    phase: WavePhase
    total: int
    succeeded: int = 0
    failed: int = 0
    running: tuple[str, ...] = ()  # names of the clusters migrating now
    next_window: datetime | None = None  # when its next window long enough for a migration opens
    pause: PauseReason | None = None  # PAUSED: why

    @property
    def done(self) -> int:
        return self.succeeded + self.failed


def wave_progress(wave: Wave, *, now: datetime, freeze: Freeze | None, expected_duration: timedelta) -> WaveProgress:
    """What the Home tab says of a wave: its phase is what `next_starts` would decide now, in words."""
    phase = _phase(wave, now=now, freeze=freeze, expected_duration=expected_duration)
    return WaveProgress(
        name=wave.name,
        phase=phase,
        total=len(wave.clusters),
        succeeded=len(wave.in_state(ClusterState.SUCCEEDED)),
        failed=len(wave.in_state(ClusterState.FAILED)),
        running=tuple(c.name for c in wave.running),
        next_window=wave.schedule.next_opening(now, long_enough=expected_duration) if wave.windows else None,
        pause=wave.pause if phase is WavePhase.PAUSED else None,
    )


def _phase(wave: Wave, *, now: datetime, freeze: Freeze | None, expected_duration: timedelta) -> WavePhase:
    if wave.state in (WaveState.REQUESTED, WaveState.AWAITING_APPROVAL):
        return WavePhase.AWAITING_APPROVAL
    if wave.state is WaveState.PAUSED:
        return WavePhase.PAUSED
    decision = next_starts(wave, now, freeze, expected_duration)
    if isinstance(decision, Wait):
        if decision.reason is WaitReason.FROZEN:
            return WavePhase.FROZEN
        if decision.reason is WaitReason.SOAKING:
            return WavePhase.SOAKING
        if decision.reason in _WINDOW_WAITS and not wave.running:
            return WavePhase.WAITING_FOR_WINDOW
    return WavePhase.RUNNING


@dataclass(frozen=True)
class Failure:
    """A migration that failed recently."""

    cluster: str
    account: str
    region: str
    at: datetime
    stage: str = ""  # the stage it failed at, as ACK named it; "" when it failed before MigrateCluster
    wave: str = ""  # the wave it belonged to; "" for a single migration


@dataclass(frozen=True)
class FleetSummary:
    """Everything the Home tab shows, as of one moment."""

    as_of: datetime
    places: tuple[PlaceProgress, ...] = ()
    waves: tuple[WaveProgress, ...] = ()
    freeze: Freeze | None = None
    failures: tuple[Failure, ...] = ()  # newest first

    @property
    def total(self) -> int:
        return sum(p.total for p in self.places)

    @property
    def migrated(self) -> int:
        return sum(p.migrated for p in self.places)

    @property
    def migrating(self) -> int:
        return sum(p.migrating for p in self.places)

    @property
    def failed(self) -> int:
        return sum(p.failed for p in self.places)

    @property
    def remaining(self) -> int:
        return self.total - self.migrated

    @property
    def next_window(self) -> tuple[str, datetime] | None:
        """The soonest window any wave waits for, with the wave's name."""
        upcoming = [(w.next_window, w.name) for w in self.waves if w.next_window is not None]
        if not upcoming:
            return None
        opens, name = min(upcoming)
        return name, opens
