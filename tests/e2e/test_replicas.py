"""Several replicas on one Redis: two `ackmigrate serve`, three `ackmigrate worker`, and SIGKILLs mid-journey.

The load balancer in front of the bot replicas is played by the Slack stand-in's request URL: Alice's
command reaches replica B; B is then killed (SIGKILL, gunicorn and all) and the balancer sends Bob's
approval to replica A. Mid-migration one worker is killed too. The journey must end as if nothing had
happened, and the reconciler must have swept once per interval for all workers together, not once per
worker (a lock in Redis: workers.reconciler.sweep_if_due).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

from cli.local_redis import free_port
from tests.e2e.processes import (
    ACKMIGRATE,
    ALICE,
    BOB,
    BUCKET,
    Stack,
    _log_file,
    _wait_healthy,
    assert_thread_told_every_stage_once,
    running_stack,
    wait_for,
)
from workers.domain.records import State
from workers.reconciler import LOCK_SHARE_OF_INTERVAL, SWEEP_COUNTS

pytestmark = pytest.mark.e2e

RECONCILE_INTERVAL_S = 0.5
WORKERS = 3


@contextmanager
def bot_replica(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A second `ackmigrate serve`, in its own process group so that a SIGKILL takes its gunicorn workers."""
    port = free_port()
    with _log_file("serve-b.log") as log:
        process = subprocess.Popen(
            [ACKMIGRATE, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env={**os.environ, **env}, stdout=log, stderr=log, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield process, url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)


def _sweeps(stack: Stack) -> int:
    counts = redis.Redis.from_url(stack.redis_url).hgetall(SWEEP_COUNTS)
    return sum(int(value) for value in counts.values())


@pytest.fixture
def stack() -> Iterator[Stack]:
    with running_stack(worker_count=WORKERS, ACKMIGRATE_LEASE_TTL="2",
                       ACKMIGRATE_RECONCILE_INTERVAL=str(RECONCILE_INTERVAL_S)) as running:
        yield running


def test_killing_a_bot_replica_and_a_worker_mid_journey_changes_nothing_people_see(stack: Stack) -> None:
    name = "prod-hz-replicas"
    cluster_id = stack.new_cluster(name, migration={"duration_s": 6})["cluster_id"]
    sweeps_before, started = _sweeps(stack), time.monotonic()
    with bot_replica(stack.env) as (replica_b, url_b):
        stack.control.set_request_url(url_b + "/slack/events")
        stack.slash(ALICE, f"migrate {name} --bucket {BUCKET}")
        request = stack.posted_request(cluster_id)
        assert request.message_ts is not None

        os.killpg(replica_b.pid, signal.SIGKILL)  # replica B vanishes; the balancer sends the rest to A
        replica_b.wait(timeout=10)
        stack.control.set_request_url(stack.bot_url + "/slack/events")
        stack.click(BOB, request.message_ts, "approve_migration")
        wait_for(lambda: stack.store.get(request.id).stage >= 2, what="the migration at stage 2")

        stack.workers.kill(stack.workers.alive[0])
        wait_for(lambda: stack.settled(request.id), timeout_s=90, what="the migration finished and its thread told")

    elapsed = time.monotonic() - started
    final = stack.store.get(request.id)
    assert final.state is State.SUCCEEDED
    assert len(stack.migrate_calls(cluster_id)) == 1
    assert_thread_told_every_stage_once(stack.thread_texts(request.message_ts), name)
    # Every worker offers a sweep every interval (three offers per interval while all three live); with the
    # lock at most one per 90 % of an interval is done, whoever does it.
    sweeps = _sweeps(stack) - sweeps_before
    most = elapsed / (RECONCILE_INTERVAL_S * LOCK_SHARE_OF_INTERVAL) + 1
    assert 1 <= sweeps <= most, f"{sweeps} sweeps in {elapsed:.1f} s (at most {most:.0f} with one per interval)"
