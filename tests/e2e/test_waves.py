"""A small wave through `serve`, two workers and the sandbox: 4 clusters, max-parallel 2, one canary and a
short soak. What is asserted is what the cloud received (the sandbox's call log: at most 2 migrations at
any instant, exactly one MigrateCluster per cluster, the canary's done before any other starts) and what
Redis says of the wave.

The wave is approved through the engine's own entry point (`Lifecycle.approve_wave`, what the
approve_wave button calls once it has authorised the click): the wave message that carries the buttons is
drawn by the wave's Slack side (workers.wave_notify), which the e2e suite clicks once it is merged."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from tests.e2e.processes import ALICE, BOB, BUCKET, CAROL, Stack, running_stack, wait_for
from workers.audit import AuditLog
from workers.domain.waves import ClusterState, Wave, WaveState
from workers.lifecycle import Lifecycle
from workers.queues import Queues
from workers.store import RecordStore
from workers.wave_engine import wave_record_id
from workers.wave_store import WaveStore

pytestmark = pytest.mark.e2e

DURATION_S = 3


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack(worker_count=2) as running:
        yield running


def _waves(stack: Stack) -> WaveStore:
    return WaveStore(redis.Redis.from_url(stack.redis_url))


def _approve(stack: Stack, name: str, *users: str) -> None:
    connection = redis.Redis.from_url(stack.redis_url)
    lifecycle = Lifecycle(store=RecordStore(connection), audit=AuditLog(connection), queues=Queues(connection),
                          waves=WaveStore(connection))
    for user in users:
        lifecycle.approve_wave(name, user=user, at=time.time())


def _overlap(intervals: list[tuple[float, float]]) -> int:
    """The most intervals open at one instant (an end at t closes before a start at t)."""
    moments = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals],
                     key=lambda m: (m[0], m[1]))
    most = current = 0
    for _, change in moments:
        current += change
        most = max(most, current)
    return most


def test_a_wave_of_four_runs_two_at_a_time_canary_first_each_cluster_migrated_once(stack: Stack) -> None:
    clusters = [stack.new_cluster(f"wave-{letter}", migration={"duration_s": DURATION_S}) for letter in "abcd"]
    ids = {c["cluster_id"] for c in clusters}

    stack.slash(ALICE, f"wave create w1 --clusters wave-* --bucket-map cn-hangzhou={BUCKET} "
                       "--max-parallel 2 --canary 1 --soak 1s")
    assert any("Composing wave *w1*" in t for t in stack.private(ALICE))
    waiting = wait_for(lambda: (w := _waves(stack).find("w1")) is not None and w.state is WaveState.AWAITING_APPROVAL
                       and w, timeout_s=60, what="the wave request")
    assert isinstance(waiting, Wave)
    assert {c.cluster_id for c in waiting.clusters} == ids and not waiting.in_state(ClusterState.SKIPPED)

    _approve(stack, "w1", BOB, CAROL)
    done = wait_for(lambda: (w := _waves(stack).get("w1")).state is WaveState.DONE and w, timeout_s=120,
                    what="the wave's end")
    assert isinstance(done, Wave)
    assert [c.state for c in done.clusters] == [ClusterState.SUCCEEDED] * 4

    calls = [c for c in stack.control.calls(service="ack", action="MigrateCluster") if c["status"] == 200]
    called: dict[str, list[float]] = {}
    for call in calls:
        cluster_id = next(i for i in ids if i in call["path"])
        called.setdefault(cluster_id, []).append(float(call["time"]))
    assert sorted(called) == sorted(ids) and all(len(times) == 1 for times in called.values())

    # Each migration holds its slot from its MigrateCluster call until its record ended (verified).
    store = stack.store
    ended = {i: float(store.get(wave_record_id("w1", i)).finished_at or 0) for i in ids}
    intervals = [(called[i][0], ended[i]) for i in ids]
    assert _overlap(intervals) <= 2
    canary = done.clusters[0].cluster_id
    assert all(called[i][0] >= ended[canary] + 1.0 for i in ids if i != canary), "the canary and its soak first"
    records: list[Any] = [store.get(wave_record_id("w1", i)) for i in ids]
    assert {r.wave for r in records} == {"w1"} and all(r.approvers == [BOB, CAROL] for r in records)
