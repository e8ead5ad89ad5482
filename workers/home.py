"""The App Home tab: what it shows (gathered from Redis), who has opened it, and publishing it throttled.

The tab is published when a person opens it (`app_home_opened`) and again when something changes, to
everyone who opened it lately. Slack allows views.publish at Tier 4 (100+ a minute), but a wave moving
500 clusters changes something every few seconds, so each person's tab is published at most once per
PUBLISH_INTERVAL_S: a change inside the interval schedules one trailing publish at its end, and further
changes before then ride on that one (it gathers when it runs, so it shows the latest state).

What the tab counts: the clusters in waves (every wave, ended or not: a wave names each cluster's account
and region) and the clusters migrated on their own (their records; a single migration runs in the bot's
own account). `/ackmigrate plan` is the way to see the dedicated clusters nobody has touched yet.

Keys (under `ackmigrate:`):
- `ackmigrate:home:viewers` — who opened the tab lately (workers.home_viewers).
- `ackmigrate:home:slot:{user}` — string with a TTL of PUBLISH_INTERVAL_S: the user's tab was published
  inside the interval.
- `ackmigrate:home:pending:{user}` — string with a TTL: a trailing publish for the user is scheduled.
- `ackmigrate:home:refresh` — string with a TTL: a refresh of every viewer's tab is scheduled, so a burst of
  changes (every thread reply of every migration of a wave) gathers the summary once per interval.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from redis import Redis

from workers.accounts import OWN_ACCOUNT
from workers.context import Context
from workers.domain.fleet_summary import (
    Failure,
    FleetSummary,
    Sighting,
    Standing,
    count_places,
    standings,
    wave_progress,
    wave_standing,
)
from workers.domain.records import Record, State
from workers.domain.waves import Wave
from workers.domain.workflows import MIGRATION
from workers.freeze_store import FreezeStore
from workers.home_viewers import viewers
from workers.slack import SlackClient
from workers.store import RecordStore
from workers.ui.home import home_view
from workers.wave_store import WaveStore

REFRESH_KEY = "ackmigrate:home:refresh"
PUBLISH_INTERVAL_S = 10.0
FAILURES_SINCE = timedelta(days=7)
MAX_RECORDS = 5000
"""Finished records read per gathering: more than any fleet's migrations, and a bound on the read."""

_RECORD_STANDING = {
    State.SUCCEEDED: Standing.MIGRATED,
    State.APPROVED: Standing.MIGRATING,
    State.MIGRATING: Standing.MIGRATING,
    State.FAILED: Standing.FAILED,
}
"""A migration record's word on its cluster; requests that never started (blocked, rejected, expired,
cancelled, awaiting approval) say nothing, so the cluster is counted only where a wave names it."""


def slot_key(user: str) -> str:
    return f"ackmigrate:home:slot:{user}"


def pending_key(user: str) -> str:
    return f"ackmigrate:home:pending:{user}"


# -- what it shows ---------------------------------------------------------------------------------------


def gather(
    *, records: RecordStore, waves: WaveStore, freezes: FreezeStore, now: datetime,
    expected_migration: timedelta,
) -> FleetSummary:
    """The summary as Redis holds it now: one read of the waves, the freeze and the migration records.

    `expected_migration` (ACKMIGRATE_EXPECTED_MIGRATION_MINUTES): a window shorter than this is no window
    for a wave, as its scheduler sees it."""
    all_waves = waves.all()
    freeze = freezes.current()
    if freeze is not None and not freeze.active(now):
        freeze = None
    finished = [r for r in records.recent(limit=MAX_RECORDS) if r.workflow is MIGRATION]
    in_flight = [r for r in records.in_flight() if r.workflow is MIGRATION]
    where = _wave_places(all_waves)
    seen = standings([*_wave_sightings(all_waves), *_record_sightings([*in_flight, *finished], where)])
    return FleetSummary(
        as_of=now,
        places=count_places(seen.values()),
        waves=tuple(wave_progress(w, now=now, freeze=freeze, expected_duration=expected_migration)
                    for w in all_waves if not w.terminal),
        freeze=freeze,
        failures=tuple(_failures(finished, all_waves, where, since=now - FAILURES_SINCE)),
    )


def _wave_places(all_waves: Iterable[Wave]) -> dict[str, tuple[str, str]]:
    """cluster id → (account, region), as the waves name them."""
    return {c.cluster_id: (c.account, c.region) for w in all_waves for c in w.clusters}


def _wave_sightings(all_waves: Iterable[Wave]) -> Iterator[Sighting]:
    for wave in all_waves:
        for cluster in wave.clusters:
            yield Sighting(cluster.cluster_id, cluster.account, cluster.region, wave_standing(cluster.state))


def _record_sightings(found: Iterable[Record], where: dict[str, tuple[str, str]]) -> Iterator[Sighting]:
    for record in found:
        standing = _RECORD_STANDING.get(record.state)
        if standing is not None:
            account, region = where.get(record.cluster_id, (OWN_ACCOUNT, record.region))
            yield Sighting(record.cluster_id, account, region, standing)


def _failures(
    finished: Iterable[Record], all_waves: Iterable[Wave], where: dict[str, tuple[str, str]], *, since: datetime
) -> Iterator[Failure]:
    """Failed migrations since `since`, newest first (the order `recent` gives)."""
    wave_of = {c.record_id: w.name for w in all_waves for c in w.clusters if c.record_id}
    for record in finished:
        ended = record.finished_at or record.updated_at
        if record.state is not State.FAILED or ended < since.timestamp():
            continue
        account, region = where.get(record.cluster_id, (OWN_ACCOUNT, record.region))
        yield Failure(cluster=record.cluster_name, account=account, region=region,
                      at=datetime.fromtimestamp(ended, UTC), stage=record.stage_name or "",
                      wave=wave_of.get(record.id, ""))


# -- publishing, throttled -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """The tab was published now."""

    user: str
    blocks: int


@dataclass(frozen=True)
class Deferred:
    """Published less than an interval ago: one trailing publish is scheduled in `after_s`."""

    user: str
    after_s: float


@dataclass(frozen=True)
class Coalesced:
    """A trailing publish is already scheduled; it will show this change too."""

    user: str


Outcome = Published | Deferred | Coalesced
Later = Callable[[str, float], Any]
"""Schedule a publish for a user in so many seconds (the job queue's enqueue_in)."""


@dataclass(frozen=True)
class HomePublisher:
    """Publishes summaries to people's tabs, at most once per `interval_s` each."""

    redis: Redis
    slack: SlackClient
    later: Later
    interval_s: float = PUBLISH_INTERVAL_S

    def publish(self, user: str, summary: Callable[[], FleetSummary], *, trailing: bool = False) -> Outcome:
        """Publish `summary()` to `user` now if their slot is free, else schedule or join a trailing publish.

        `trailing`: this is the scheduled publish itself; it clears its pending mark before taking the
        slot, so a change that lands while it renders schedules the next one rather than being lost.
        """
        if trailing:
            self.redis.delete(pending_key(user))
        interval_ms = int(self.interval_s * 1000)
        if self.redis.set(slot_key(user), "1", nx=True, px=interval_ms):
            view = home_view(summary())
            try:
                self.slack.publish_home(user, view)
            except Exception:
                self.redis.delete(slot_key(user))  # not shown: the next change (or a retry) may publish at once
                raise
            return Published(user=user, blocks=len(view["blocks"]))
        wait_ms = max(int(self.redis.pttl(slot_key(user))), 1)
        if not self.redis.set(pending_key(user), "1", nx=True, px=wait_ms + interval_ms):
            return Coalesced(user=user)
        self.later(user, wait_ms / 1000)
        return Deferred(user=user, after_s=wait_ms / 1000)

    def publish_to_viewers(self, summary: Callable[[], FleetSummary]) -> list[Outcome]:
        """Something changed: every recent viewer's tab, the summary gathered at most once."""
        gathered: list[FleetSummary] = []

        def once() -> FleetSummary:
            if not gathered:
                gathered.append(summary())
            return gathered[0]

        return [self.publish(user, once) for user in viewers(self.redis)]


# -- the jobs' side ---------------------------------------------------------------------------------------


def publish_for(ctx: Context, user: str, *, trailing: bool) -> Outcome:
    """The publish job: this user's tab, now or after their interval."""
    return _publisher(ctx).publish(user, lambda: gather_from(ctx), trailing=trailing)


def home_changed(ctx: Context) -> None:
    """Something the tab shows changed: refresh every viewer's tab once the interval is over (one
    scheduled refresh at a time, however many changes)."""
    # The mark outlives the delay threefold: a scheduler running late does not let a second refresh in,
    # and a refresh that never ran (a worker lost) does not hold the mark for good.
    if ctx.redis.set(REFRESH_KEY, "1", nx=True, px=int(PUBLISH_INTERVAL_S * 3000)):
        ctx.queues.refresh_homes(delay_s=PUBLISH_INTERVAL_S)


def refresh_viewers(ctx: Context) -> list[Outcome]:
    """The refresh job: clear the mark first, so a change that lands while it runs schedules the next one."""
    ctx.redis.delete(REFRESH_KEY)
    return _publisher(ctx).publish_to_viewers(lambda: gather_from(ctx))


def gather_from(ctx: Context) -> FleetSummary:
    return gather(records=ctx.store, waves=WaveStore(ctx.redis),
                  freezes=FreezeStore(ctx.redis, ctx.audit), now=datetime.now(UTC),
                  expected_migration=timedelta(seconds=ctx.settings.expected_migration_s))


def _publisher(ctx: Context) -> HomePublisher:
    return HomePublisher(redis=ctx.redis, slack=ctx.slack,
                         later=lambda user, after_s: ctx.queues.publish_home(user, delay_s=after_s, trailing=True))
