"""The real processes: `ackmigrate worker` subprocesses against the in-process sandbox and a real Redis.

Work is started the way the bot starts it (workers.queues.Queues); what is asserted is what people and
operators see: the record, the thread in the Slack stand-in, the calls the cloud received.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from cli.local_redis import RedisServer
from tests.e2e.processes import Workers, wait_for
from workers.domain.jobs import Job
from workers.domain.records import Kind, Record, State, new_record_id
from workers.queues import Queues
from workers.store import RecordStore

pytestmark = pytest.mark.e2e

CHANNEL = "C0PLATFORM"
BUCKET = "ack-migrate-hz"


@pytest.fixture
def workers(sandbox_env: dict[str, str]) -> Iterator[Workers]:
    pool = Workers(sandbox_env)
    yield pool
    pool.stop_all()


def approved(store: RecordStore, cluster: dict[str, str]) -> Record:
    return store.create(Record(
        id=new_record_id(Kind.MIGRATION), kind=Kind.MIGRATION, cluster_id=cluster["cluster_id"],
        cluster_name=cluster["name"], region="cn-hangzhou", requester="U0ALICE", channel=CHANNEL,
        bucket=BUCKET, state=State.APPROVED, decided_by="U0BOB", decided_at=time.time(),
    ))


def new_cluster(sandbox: Any, duration_s: float = 6) -> dict[str, str]:
    sandbox.control.create_bucket(BUCKET)
    cluster: dict[str, str] = sandbox.control.create_cluster(
        name="prod-hz-1", oss_granted_buckets=[BUCKET], migration={"duration_s": duration_s})
    return cluster


def thread(sandbox: Any, record: Record) -> list[str]:
    messages = sandbox.control.slack_messages(CHANNEL, thread_ts=record.message_ts)
    return [str(m.get("text", "")) for m in messages if m.get("ts") != record.message_ts]


def test_a_second_worker_finishes_a_migration_whose_worker_was_killed(sandbox, redis_url, workers):
    client = redis.Redis.from_url(redis_url)
    store = RecordStore(client)
    record = approved(store, new_cluster(sandbox))
    first = workers.start()
    Queues(client).enqueue(Job.RUN_MIGRATION, record.id)
    wait_for(lambda: store.get(record.id).stage >= 2)

    workers.kill(first)
    workers.start()
    wait_for(lambda: store.get(record.id).terminal and not store.pending_replies(record.id))

    final = store.get(record.id)
    assert final.state is State.SUCCEEDED
    assert len(sandbox.control.calls(service="ack", action="MigrateCluster")) == 1
    stages = [t.split(":")[0] for t in thread(sandbox, final) if t.startswith("Stage ")]
    assert stages == [f"Stage {n}/5" for n in range(1, 6)]


def test_a_slack_outage_during_the_migration_heals_the_thread_afterwards(sandbox, redis_url, workers):
    client = redis.Redis.from_url(redis_url)
    store = RecordStore(client)
    record = approved(store, new_cluster(sandbox, duration_s=3))
    sandbox.control.fault("slack", http_status=503, count=40)
    workers.start()
    Queues(client).enqueue(Job.RUN_MIGRATION, record.id)

    wait_for(lambda: store.get(record.id).terminal)
    assert store.get(record.id).state is State.SUCCEEDED, "Slack being down does not stall the migration"
    sandbox.control.clear_faults()
    wait_for(lambda: not store.pending_replies(record.id) and record.id not in store.dirty_messages())

    texts = thread(sandbox, store.get(record.id))
    assert texts[-1].startswith("✅ prod-hz-1 is now ACK Pro")
    assert len(texts) == len(set(texts)), "nothing posted twice"


def test_a_redis_restart_mid_migration_loses_nothing(sandbox, sandbox_env, workers):
    server = RedisServer(persistence=True)
    server.start()
    try:
        workers.env["REDIS_URL"] = server.url
        client = redis.Redis.from_url(server.url)
        store = RecordStore(client)
        record = approved(store, new_cluster(sandbox, duration_s=6))
        workers.start()
        Queues(client).enqueue(Job.RUN_MIGRATION, record.id)
        wait_for(lambda: store.get(record.id).stage >= 2)

        server.restart()
        wait_for(lambda: store.get(record.id).terminal and not store.pending_replies(record.id))

        assert store.get(record.id).state is State.SUCCEEDED
        assert len(sandbox.control.calls(service="ack", action="MigrateCluster")) == 1
    finally:
        workers.stop_all()
        server.close()
