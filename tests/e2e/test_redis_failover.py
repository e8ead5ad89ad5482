"""Redis through Sentinel: a failover in the middle of a migration, with the real bot and workers.

The bot, the workers and RQ are given only REDIS_SENTINELS and REDIS_SENTINEL_MASTER (REDIS_URL points
at a port nobody serves, so anything that ignored the sentinels would fail loudly, and nothing can
fall back to the machine's own 6379). A person asks, another approves, and while ACK migrates the
cluster an operator forces `SENTINEL FAILOVER`: the replica becomes master and the old master its
replica. What people see must not change: the migration completes, ACK got exactly one MigrateCluster,
the thread tells every stage once, and the bot still answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

from tests.e2e.processes import (
    ALICE,
    BOB,
    BUCKET,
    DAVE,
    Stack,
    assert_thread_told_every_stage_once,
    stack_on_redis,
    wait_for,
)
from tests.e2e.sentinel import SentinelRedis
from workers.domain.records import Record, State
from workers.store import RecordStore

pytestmark = pytest.mark.e2e

NOBODY_LISTENS = "redis://127.0.0.1:9/0"


class SentinelStack(Stack):
    """A Stack whose Redis is found through the sentinels, as the processes under test find it."""

    @property
    def store(self) -> RecordStore:
        return RecordStore(self.redis_server.client())


@contextmanager
def sentinel_stack(worker_count: int = 2) -> Iterator[Stack]:
    redis_set = SentinelRedis().start()
    try:
        with stack_on_redis(redis_set, {**redis_set.env, "REDIS_URL": NOBODY_LISTENS}, worker_count=worker_count,
                            stack_class=SentinelStack) as stack:
            yield stack
    finally:
        redis_set.stop()


@pytest.fixture
def stack() -> Iterator[Stack]:
    with sentinel_stack() as running:
        yield running


def _migrating_at_stage_two(stack: Stack, name: str) -> tuple[str, Record]:
    """Alice asks, Bob approves, and ACK is at stage 2 of the migration: when the operator fails over."""
    cluster_id = stack.new_cluster(name, migration={"duration_s": 8})["cluster_id"]
    stack.slash(ALICE, f"migrate {name} --bucket {BUCKET}")
    request = stack.posted_request(cluster_id)
    assert request.message_ts is not None
    stack.click(BOB, request.message_ts, "approve_migration")
    wait_for(lambda: stack.store.get(request.id).stage >= 2, what="the migration at stage 2")
    return cluster_id, request


def test_a_sentinel_failover_mid_migration_loses_nothing(stack: Stack) -> None:
    name = "prod-hz-failover"
    cluster_id, request = _migrating_at_stage_two(stack, name)

    redis_set: SentinelRedis = stack.redis_server  # type: ignore[assignment]
    old_master = redis_set.master_port()
    new_master = redis_set.failover()

    assert new_master != old_master
    wait_for(lambda: stack.settled(request.id), timeout_s=120, what="the migration finished and its thread told")
    final = stack.store.get(request.id)
    assert final.state is State.SUCCEEDED
    assert len(stack.migrate_calls(cluster_id)) == 1
    assert_thread_told_every_stage_once(stack.thread_texts(request.message_ts), name)
    assert redis.Redis(port=new_master).exists(f"ackmigrate:record:{request.id}")  # the records moved along

    stack.slash(DAVE, f"status {name}")  # the bot follows the new master too
    wait_for(lambda: any(name in text and "succeeded" in text.lower() for text in stack.private(DAVE)),
             what="the bot's status answer after the failover")


def test_an_unplanned_failover_mid_migration_says_every_stage_once_and_migrates_once(stack: Stack) -> None:
    """No pause: the demoted master loses what it took in its last seconds. The MigrateCluster fence and
    each reply's "being posted" mark wait for the replica (WAIT), so none of what was lost can make the
    bot call ACK again or post a reply twice."""
    name = "prod-hz-unplanned"
    cluster_id, request = _migrating_at_stage_two(stack, name)

    redis_set: SentinelRedis = stack.redis_server  # type: ignore[assignment]
    redis_set.failover_unplanned()

    wait_for(lambda: stack.settled(request.id), timeout_s=120, what="the migration finished and its thread told")
    assert stack.store.get(request.id).state is State.SUCCEEDED
    assert len(stack.migrate_calls(cluster_id)) == 1
    assert_thread_told_every_stage_once(stack.thread_texts(request.message_ts), name)
