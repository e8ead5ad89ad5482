"""The App Home tab from Redis to Slack: what it counts from the waves, the freeze and the records, who it
is published to, and how often (real Redis; the Slack stand-in over HTTP through the workers' SlackClient)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from tests.sandbox.slack_fixtures import BOT_TOKEN, SlackStandIn
from workers.audit import AuditLog
from workers.domain.fleet_summary import FleetSummary, WavePhase
from workers.domain.records import Kind, Record, State, new_record_id
from workers.domain.waves import ClusterState, Wave, WaveCluster, WaveState
from workers.freeze_store import FreezeStore
from workers.home import Coalesced, Deferred, HomePublisher, Published, gather, home_changed, slot_key
from workers.home_viewers import MAX_VIEWERS, VIEWER_TTL_S, remember_viewer, viewers
from workers.queues import NOTIFY_QUEUE, Queues
from workers.slack import SlackClient, SlackError
from workers.store import RecordStore
from workers.wave_store import WaveStore


@pytest.fixture(scope="module")
def slack_server() -> Iterator[SlackStandIn]:
    stand_in = SlackStandIn().start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def slack(slack_server: SlackStandIn) -> SlackStandIn:
    return slack_server.reset()


@pytest.fixture
def records(redis_client: redis.Redis) -> RecordStore:
    return RecordStore(redis_client)


@pytest.fixture
def waves(redis_client: redis.Redis) -> WaveStore:
    return WaveStore(redis_client)


@pytest.fixture
def freezes(redis_client: redis.Redis) -> FreezeStore:
    return FreezeStore(redis_client, AuditLog(redis_client))


def summary_now(redis_client: redis.Redis, records: RecordStore, waves: WaveStore, freezes: FreezeStore) -> FleetSummary:
    return gather(records=records, waves=waves, freezes=freezes, now=datetime.now(UTC),
                  expected_migration=timedelta(minutes=30))


def migration(records: RecordStore, cluster_id: str, name: str, *, ends: State | None, region: str = "cn-shanghai") -> Record:
    """A single migration walked through the store's own transitions to `ends` (None: still migrating)."""
    record = records.create(Record(id=new_record_id(Kind.MIGRATION), kind=Kind.MIGRATION, cluster_id=cluster_id,
                                   cluster_name=name, region=region, requester="U0ALICE", channel="C0PLATFORM"))
    for state in (State.PRECHECKING, State.AWAITING_APPROVAL, State.APPROVED, State.MIGRATING):
        record = records.transition(record.id, state)
    if ends is not None:
        record = records.transition(record.id, ends, stage_name="MigrateControlPlane", finished_at=time.time())
    return record


def running_wave(waves: WaveStore, name: str, clusters: int, *, account: str = "prod") -> Wave:
    members = [WaveCluster(cluster_id=f"{name}-c{n}", name=f"{name}-{n}", account=account, region="cn-hangzhou")
               for n in range(clusters)]
    waves.create(Wave(name=name, requester="U0ALICE", channel="C0PLATFORM", clusters=tuple(members),
                      state=WaveState.AWAITING_APPROVAL, approvals_required=1, max_parallel=2, canary=0, soak_s=0,
                      failure_budget=10, expires_at=time.time() + 3600))
    return waves.approve(name, user="U0BOB", at=time.time())


# --- what it counts ------------------------------------------------------------------------------------------


def test_the_summary_counts_wave_clusters_and_single_migrations_once_each_in_their_place(
    redis_client: redis.Redis, records: RecordStore, waves: WaveStore, freezes: FreezeStore
) -> None:
    running_wave(waves, "east", 4)
    waves.claim_start("east", "east-c0")
    waves.record_end("east", "east-c0", ClusterState.SUCCEEDED)
    waves.claim_start("east", "east-c1")
    waves.record_end("east", "east-c1", ClusterState.FAILED, error="stage 3 failed")
    waves.claim_start("east", "east-c2")
    migration(records, "single-1", "stg-sh-1", ends=State.SUCCEEDED)
    migration(records, "single-2", "stg-sh-2", ends=State.FAILED)
    migration(records, "single-3", "stg-sh-3", ends=None)
    migration(records, "east-c1", "east-1", ends=State.SUCCEEDED, region="cn-hangzhou")  # retried on its own

    summary = summary_now(redis_client, records, waves, freezes)

    places = {(p.account, p.region): (p.migrated, p.migrating, p.failed, p.waiting) for p in summary.places}
    assert places == {("prod", "cn-hangzhou"): (2, 1, 0, 1), ("default", "cn-shanghai"): (1, 1, 1, 0)}
    assert (summary.total, summary.migrated, summary.remaining) == (7, 3, 4)
    [east] = summary.waves
    assert (east.name, east.phase, east.succeeded, east.failed, east.running) == (
        "east", WavePhase.RUNNING, 1, 1, ("east-2",))
    assert [(f.cluster, f.account, f.region, f.stage) for f in summary.failures] == [
        ("stg-sh-2", "default", "cn-shanghai", "MigrateControlPlane")]


def test_a_freeze_is_shown_until_it_is_lifted(
    redis_client: redis.Redis, records: RecordStore, waves: WaveStore, freezes: FreezeStore
) -> None:
    running_wave(waves, "east", 2)
    freezes.freeze(by="U0BOB", reason="Double 12 sale")

    frozen = summary_now(redis_client, records, waves, freezes)
    freezes.unfreeze(by="U0CAROL")
    thawed = summary_now(redis_client, records, waves, freezes)

    assert frozen.freeze is not None and frozen.freeze.reason == "Double 12 sale"
    assert frozen.waves[0].phase is WavePhase.FROZEN
    assert thawed.freeze is None and thawed.waves[0].phase is WavePhase.RUNNING


def test_an_empty_store_gives_an_empty_summary(
    redis_client: redis.Redis, records: RecordStore, waves: WaveStore, freezes: FreezeStore
) -> None:
    summary = summary_now(redis_client, records, waves, freezes)

    assert (summary.total, summary.places, summary.waves, summary.freeze, summary.failures) == (0, (), (), None, ())


# --- who it is published to ----------------------------------------------------------------------------------


def test_viewers_are_kept_most_recent_first_and_bounded(redis_client: redis.Redis) -> None:
    now = 1_000_000_000.0
    remember_viewer(redis_client, "U0STALE", now=now - VIEWER_TTL_S - 1)
    for n in range(MAX_VIEWERS + 5):
        remember_viewer(redis_client, f"U{n:05d}", now=now + n)

    kept = viewers(redis_client)

    assert len(kept) == MAX_VIEWERS
    assert kept[0] == f"U{MAX_VIEWERS + 4:05d}"
    assert "U00000" not in kept and "U0STALE" not in kept


# --- how often ---------------------------------------------------------------------------------------------


class Scheduled:
    """What a publisher asked the job queue to run later."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float]] = []

    def __call__(self, user: str, after_s: float) -> None:
        self.calls.append((user, after_s))


def publisher(redis_client: redis.Redis, slack: SlackStandIn, later: Scheduled, interval_s: float = 30.0) -> HomePublisher:
    client = SlackClient(token=BOT_TOKEN, base_url=slack.api_url)
    return HomePublisher(redis=redis_client, slack=client, later=later, interval_s=interval_s)


def home_of(slack: SlackStandIn, user: str) -> dict[str, Any]:
    answer: dict[str, Any] = slack.control.request("GET", "/slack/home", user=user)
    return answer


def empty() -> FleetSummary:
    return FleetSummary(as_of=datetime.now(UTC))


def test_the_first_publish_goes_out_and_changes_inside_the_interval_become_one_trailing_publish(
    redis_client: redis.Redis, slack: SlackStandIn
) -> None:
    later = Scheduled()
    home = publisher(redis_client, slack, later)

    first = home.publish("U0ALICE", empty)
    second = home.publish("U0ALICE", empty)
    third = home.publish("U0ALICE", empty)

    assert isinstance(first, Published) and first.blocks == len(home_of(slack, "U0ALICE")["view"]["blocks"])
    assert isinstance(second, Deferred) and 29 < second.after_s <= 30
    assert third == Coalesced("U0ALICE")
    assert later.calls == [("U0ALICE", second.after_s)]
    assert home_of(slack, "U0ALICE")["publishes"] == 1
    assert "*No migrations yet.*" in str(home_of(slack, "U0ALICE")["view"])


def test_the_trailing_publish_goes_out_once_the_interval_is_over(redis_client: redis.Redis, slack: SlackStandIn) -> None:
    later = Scheduled()
    home = publisher(redis_client, slack, later, interval_s=0.3)
    home.publish("U0ALICE", empty)
    home.publish("U0ALICE", empty)
    deadline = time.monotonic() + 5
    while redis_client.exists(slot_key("U0ALICE")) and time.monotonic() < deadline:
        time.sleep(0.05)

    trailing = home.publish("U0ALICE", empty, trailing=True)
    after_it = home.publish("U0ALICE", empty)

    assert isinstance(trailing, Published)
    assert isinstance(after_it, Deferred)  # the pending mark was cleared, so a later change schedules anew
    assert home_of(slack, "U0ALICE")["publishes"] == 2
    assert len(later.calls) == 2


def test_each_person_has_their_own_interval_and_a_change_gathers_once_for_all_viewers(
    redis_client: redis.Redis, slack: SlackStandIn
) -> None:
    gathered: list[FleetSummary] = []

    def counted() -> FleetSummary:
        gathered.append(empty())
        return gathered[-1]

    for user in ("U0ALICE", "U0BOB", "U0CAROL"):
        remember_viewer(redis_client, user, now=time.time())
    home = publisher(redis_client, slack, Scheduled())

    outcomes = home.publish_to_viewers(counted)

    assert sorted(o.user for o in outcomes if isinstance(o, Published)) == ["U0ALICE", "U0BOB", "U0CAROL"]
    assert len(gathered) == 1
    assert [home_of(slack, u)["publishes"] for u in ("U0ALICE", "U0BOB", "U0CAROL", "U0DAVE")] == [1, 1, 1, 0]


def test_a_publish_slack_refuses_raises_and_leaves_the_slot_free(redis_client: redis.Redis, slack: SlackStandIn) -> None:
    home = publisher(redis_client, slack, Scheduled())

    with pytest.raises(SlackError) as excinfo:
        home.publish("U0NOBODY", empty)

    assert excinfo.value.code == "invalid_arguments"
    assert not redis_client.exists(slot_key("U0NOBODY"))


def test_a_burst_of_changes_schedules_one_refresh_of_the_viewers_tabs(redis_client: redis.Redis) -> None:
    ctx: Any = SimpleNamespace(redis=redis_client, queues=Queues(redis_client))

    for _ in range(5):
        home_changed(ctx)

    scheduled = ScheduledJobRegistry(NOTIFY_QUEUE, connection=redis_client).get_job_ids()
    assert [Job.fetch(job_id, connection=redis_client).func_name for job_id in scheduled] == [
        "workers.jobs.refresh_homes"]
