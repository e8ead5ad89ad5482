"""Waves through `serve`, two workers and the sandbox when time and processes work against them: a closed
window holds the starts until it opens, and a worker SIGKILLed mid-wave leaves max-parallel and exactly
once intact. In a module (and stack) of its own so that the suite's test processes share the wave
tests' minutes (`--dist loadfile` gives each file to one process); the helpers are test_waves.py's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.processes import Stack, wait_for
from tests.e2e.test_waves import (
    SLACK_TIMEOUT_S,
    WAVE_TIMEOUT_S,
    _approved_wave,
    _assert_thread_tells_each_cluster_once,
    _every_cluster_ended_in_thread,
    _finished,
    _fleet,
    _intervals,
    _migrate_calls,
    _most_at_once,
    _parent_text,
    _tasks,
    _waves,
    wave_stack,
)
from workers.domain.waves import ClusterState

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with wave_stack() as running:
        yield running


def test_a_closed_window_holds_the_starts_until_it_opens(stack: Stack) -> None:
    ids = _fleet(stack, "ww", 2)
    # A window that opens at the first whole minute at least 20 s from now (so the wave is approved while
    # it is closed) and lasts 30 minutes; a migration is expected to take 1 minute (ACKMIGRATE_…_MINUTES).
    opens = (datetime.now(UTC) + timedelta(seconds=20)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    closes = opens + timedelta(minutes=30)
    window = f"daily {opens:%H:%M}-{closes:%H:%M} UTC"
    wave_ts = _approved_wave(stack, "windowed", f"--clusters ww-* --max-parallel 2 --canary 0 --window '{window}'")

    wait_for(lambda: "Outside the windows" in _parent_text(stack, wave_ts), what="the parent says it waits", timeout_s=SLACK_TIMEOUT_S)
    assert time.time() < opens.timestamp(), "approved while the window is still closed"
    assert sum(_migrate_calls(stack, ids).values()) == 0

    wave = _finished(stack, "windowed", timeout_s=90 + WAVE_TIMEOUT_S)
    assert [c.state for c in wave.clusters] == [ClusterState.SUCCEEDED] * 2
    starts = [t["started_at"] for found in _tasks(stack, ids).values() for t in found]
    assert len(starts) == 2 and min(starts) >= opens.timestamp(), (opens, starts)
    assert _migrate_calls(stack, ids) == dict.fromkeys(ids, 1)


def test_a_worker_killed_mid_wave_leaves_at_most_max_parallel_and_one_migrate_per_cluster(stack: Stack) -> None:
    ids = _fleet(stack, "wk", 6, duration_s=4)
    wave_ts = _approved_wave(stack, "killed", "--clusters wk-* --max-parallel 2 --canary 0")
    wait_for(lambda: len(_waves(stack).get("killed").running) == 2 and sum(_migrate_calls(stack, ids).values()) >= 1,
             timeout_s=90, what="two clusters running, MigrateCluster called")

    victim = stack.workers.alive[0]
    stack.workers.kill(victim)
    stack.workers.start()

    wave = _finished(stack, "killed")
    assert [c.state for c in wave.clusters] == [ClusterState.SUCCEEDED] * 6
    assert _migrate_calls(stack, ids) == dict.fromkeys(ids, 1), "exactly one MigrateCluster per cluster"
    assert _most_at_once(_intervals(_tasks(stack, ids))) <= 2
    wait_for(lambda: _every_cluster_ended_in_thread(stack, wave_ts, wave), what="every cluster's end in the thread",
             timeout_s=SLACK_TIMEOUT_S)
    _assert_thread_tells_each_cluster_once(stack, wave_ts, wave)
