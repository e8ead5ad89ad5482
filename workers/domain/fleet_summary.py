"""The fleet at a glance, as the App Home tab shows it: plain values, no Redis, no Slack.

Built by the worker that publishes the Home tab (from the records, the wave store and the freeze store)
and rendered by `workers.ui.home`. Keeping it a typed value between the two lets the renderer be tested
with 500 clusters without a store, and the gatherer without Slack.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Standing(StrEnum):
    """Where one dedicated cluster stands in the migration, for counting."""

    MIGRATED = "migrated"  # its migration succeeded: it is ACK Pro now
    MIGRATING = "migrating"  # a migration is running
    FAILED = "failed"  # its last migration failed; it is still dedicated
    WAITING = "waiting"  # not started yet (planned, in a wave's queue, or not in any wave)


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


def count_places(standings: Iterable[tuple[str, str, Standing]]) -> tuple[PlaceProgress, ...]:
    """(account, region, standing) per cluster → one PlaceProgress per place, most remaining first."""
    counts: dict[tuple[str, str], Counter[Standing]] = {}
    for account, region, standing in standings:
        counts.setdefault((account, region), Counter())[standing] += 1
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
    PAUSED = "paused"


@dataclass(frozen=True)
class Window:
    """One opening of a maintenance window, as absolute times (timezone-aware)."""

    opens: datetime
    closes: datetime


@dataclass(frozen=True)
class WaveProgress:
    """One wave that has not finished: its counts, what runs now, and when it may next start something."""

    name: str
    phase: WavePhase
    total: int
    succeeded: int = 0
    failed: int = 0
    running: tuple[str, ...] = ()  # names of the clusters migrating now
    next_window: Window | None = None
    paused_reason: str = ""

    @property
    def done(self) -> int:
        return self.succeeded + self.failed


@dataclass(frozen=True)
class Freeze:
    """Nothing new starts while this holds (`/ackmigrate freeze`)."""

    by: str  # Slack user id
    since: datetime
    until: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class Failure:
    """A migration that failed recently, with where to read about it."""

    cluster: str
    account: str
    region: str
    at: datetime
    stage: str = ""  # the stage it failed at, as ACK named it; "" when it failed before MigrateCluster
    wave: str = ""  # the wave it belonged to; "" for a single migration
    thread_url: str = ""


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
    def next_window(self) -> tuple[str, Window] | None:
        """The soonest window any wave waits for, with the wave's name."""
        upcoming = [(w.next_window.opens, w.name, w.next_window) for w in self.waves if w.next_window is not None]
        if not upcoming:
            return None
        _, name, window = min(upcoming, key=lambda entry: (entry[0], entry[1]))
        return name, window
