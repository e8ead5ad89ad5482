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

from sandbox.runtime import Sandbox
from tests.e2e.processes import ALICE, BOB, BUCKET, DAVE, FAST, Stack, Workers, ackmigrate_serve, wait_for
from tests.e2e.sentinel import SentinelRedis
from workers.records import State
from workers.store import RecordStore

pytestmark = pytest.mark.e2e

NOBODY_LISTENS = "redis://127.0.0.1:9/0"


class SentinelStack(Stack):
    """A Stack whose Redis is found through the sentinels, as the processes under test find it."""

    @property
    def store(self) -> RecordStore:
        return RecordStore(self.redis_server.client())


@contextmanager
def sentinel_stack(worker_count: int = 2) -> Iterator[SentinelStack]:
    redis_set = SentinelRedis().start()
    sandbox = Sandbox(scenario="empty").start()
    workers: Workers | None = None
    try:
        sandbox.control.create_bucket(BUCKET)
        env = {**sandbox.env(), **redis_set.env, "REDIS_URL": NOBODY_LISTENS, "ACKMIGRATE_APPROVERS": "S0PLATFORM",
               **FAST}
        workers = Workers(env)
        stack = SentinelStack(sandbox=sandbox, redis_server=redis_set, env=env, workers=workers)  # type: ignore[arg-type]
        with ackmigrate_serve(env) as url:
            stack.bot_url = url
            sandbox.control.set_request_url(url + "/slack/events")
            for _ in range(worker_count):
                workers.start()
            yield stack
    finally:
        if workers is not None:
            workers.stop_all()
        sandbox.stop()
        redis_set.stop()


@pytest.fixture
def stack() -> Iterator[SentinelStack]:
    with sentinel_stack() as running:
        yield running


def test_a_sentinel_failover_mid_migration_loses_nothing(stack: SentinelStack) -> None:
    name = "prod-hz-failover"
    cluster_id = stack.new_cluster(name, migration={"duration_s": 8})["cluster_id"]
    stack.slash(ALICE, f"migrate {name} --bucket {BUCKET}")
    request = stack.posted_request(cluster_id)
    assert request.message_ts is not None
    stack.click(BOB, request.message_ts, "approve_migration")
    wait_for(lambda: stack.store.get(request.id).stage >= 2, what="the migration at stage 2")

    old_master = stack.redis_server.master_port()
    new_master = stack.redis_server.failover()

    assert new_master != old_master
    wait_for(lambda: stack.settled(request.id), timeout_s=120, what="the migration finished and its thread told")
    final = stack.store.get(request.id)
    assert final.state is State.SUCCEEDED
    assert len(stack.migrate_calls(cluster_id)) == 1
    texts = stack.thread_texts(request.message_ts)
    stages = [text.split(":")[0] for text in texts if text.startswith("Stage ")]
    assert stages == [f"Stage {n}/5" for n in range(1, 6)], "\n".join(texts)
    assert texts[-1].startswith(f"✅ {name} is now ACK Pro"), texts
    assert len(texts) == len(set(texts)), f"a reply was posted twice: {texts}"
    assert redis.Redis(port=new_master).exists(f"ackmigrate:record:{request.id}")  # the records moved along

    stack.slash(DAVE, f"status {name}")  # the bot follows the new master too
    wait_for(lambda: any(name in text and "succeeded" in text.lower() for text in stack.private(DAVE)),
             what="the bot's status answer after the failover")
