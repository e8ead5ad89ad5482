"""SIGKILL of the worker at each step of an approved migration and of a cleanup, through Slack.

Each test has one worker doing the work, kills it (and its scheduler) at a chosen moment, starts a
replacement, and checks the ending people see: the migration completes, the cloud received exactly one
MigrateCluster, the thread tells every stage once; the cleanup deletes exactly the old masters.
Leases and the reconciler are short here (ACKMIGRATE_LEASE_TTL=2, ACKMIGRATE_RECONCILE_INTERVAL=0.5) so
the replacement takes over within seconds; production's defaults give two minutes.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import pytest

from tests.e2e.processes import ALICE, BOB, BUCKET, Stack, buttons, running_stack, wait_for
from workers.domain.records import Kind, Record, State

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack(ACKMIGRATE_LEASE_TTL="2", ACKMIGRATE_RECONCILE_INTERVAL="0.5") as running:
        yield running


def _the_worker(stack: Stack) -> subprocess.Popen[bytes]:
    (worker,) = stack.workers.alive
    return worker


def _requested(stack: Stack, name: str) -> tuple[str, Record]:
    cluster_id = stack.new_cluster(name, masters=3, workers=1, migration={"duration_s": 3})["cluster_id"]
    stack.slash(ALICE, f"migrate {name} --bucket {BUCKET}")
    return cluster_id, stack.posted_request(cluster_id)


def _replace(stack: Stack, worker: subprocess.Popen[bytes]) -> None:
    stack.workers.kill(worker)
    stack.workers.start()


def _assert_migrated_once(stack: Stack, cluster_id: str, record: Record) -> list[str]:
    """Succeeded, one MigrateCluster, every stage told once in order; the thread, for more checks."""
    wait_for(lambda: stack.settled(record.id), what=f"{record.cluster_name} migrated and shown")
    assert stack.store.get(record.id).state is State.SUCCEEDED
    assert len(stack.migrate_calls(cluster_id)) == 1, "MigrateCluster is never called twice"
    thread = stack.thread_texts(str(record.message_ts))
    assert len(thread) == len(set(thread)), f"nothing said twice: {thread}"
    assert [t.split(":")[0] for t in thread if t.startswith("Stage ")] == [f"Stage {n}/5" for n in range(1, 6)]
    assert thread[-1].startswith(f"✅ {record.cluster_name} is now ACK Pro")
    assert stack.control.cluster_state(cluster_id)["cluster_spec"].startswith("ack.pro")
    return thread


def test_a_worker_killed_right_after_approval_is_replaced_and_migrates_once(stack: Stack) -> None:
    cluster_id, record = _requested(stack, "kill-approved")
    victim = _the_worker(stack)
    stack.control.fault("ack", latency_ms=400, count=-1)  # every ACK call slow: run_migration's prechecks last
    stack.click(BOB, str(record.message_ts), "approve_migration")
    wait_for(lambda: stack.store.get(record.id).state is State.APPROVED, what="the approval counted")
    wait_for(lambda: stack.leases.holder(record.id), what="run_migration started (it holds the lease)")

    before = stack.store.get(record.id)
    assert (before.state, before.migrate_called_at) == (State.APPROVED, None)
    _replace(stack, victim)
    stack.control.clear_faults()

    thread = _assert_migrated_once(stack, cluster_id, record)
    assert sum(t.startswith("Prechecks re-run") for t in thread) == 1


def test_a_worker_killed_after_ack_accepted_migrate_but_before_the_task_was_saved_calls_it_once(
    stack: Stack,
) -> None:
    cluster_id, record = _requested(stack, "kill-accepted")
    victim = _the_worker(stack)
    # ACK applies MigrateCluster at once and holds the answer back: the worker never learns the task id.
    stack.control.fault("ack", "MigrateCluster", latency_ms=5000, delay_response=True)
    stack.click(BOB, str(record.message_ts), "approve_migration")
    wait_for(lambda: [c["status"] for c in stack.migrate_calls(cluster_id)] == [200],
             what="MigrateCluster applied by ACK")

    (task,) = stack.control.cluster_state(cluster_id)["tasks"]
    assert stack.control.cluster_state(cluster_id)["state"] == "migrating"
    unsaved = stack.store.get(record.id)
    assert unsaved.migrate_called_at is not None and unsaved.task_id is None, "applied, not yet saved"
    _replace(stack, victim)

    thread = _assert_migrated_once(stack, cluster_id, record)
    assert stack.store.get(record.id).task_id == task["task_id"]
    assert f"MigrateCluster accepted — task `{task['task_id']}` (found after a restart)." in thread


def test_a_worker_killed_while_following_the_task_is_replaced_and_tells_each_stage_once(stack: Stack) -> None:
    cluster_id, record = _requested(stack, "kill-following")
    victim = _the_worker(stack)
    stack.click(BOB, str(record.message_ts), "approve_migration")
    wait_for(lambda: stack.store.get(record.id).stage >= 2, what="stage 2 reached")

    _replace(stack, victim)

    thread = _assert_migrated_once(stack, cluster_id, record)
    assert sum(t.startswith("MigrateCluster accepted") for t in thread) == 1


def test_a_worker_killed_mid_cleanup_is_replaced_and_the_old_masters_are_all_deleted(stack: Stack) -> None:
    cluster_id, record = _requested(stack, "kill-cleanup")
    stack.click(BOB, str(record.message_ts), "approve_migration")
    _assert_migrated_once(stack, cluster_id, record)
    masters = [n["name"] for n in stack.control.cluster_state(cluster_id)["nodes"] if n["role"] == "Master"]
    assert len(masters) == 3
    stack.click(ALICE, str(record.message_ts), "request_cleanup")
    cleanup = stack.posted_request(cluster_id, Kind.CLEANUP)
    victim = _the_worker(stack)
    stack.control.fault("kubernetes", "delete nodes", latency_ms=4000, delay_response=True)
    stack.click(BOB, str(cleanup.message_ts), "approve_cleanup")
    wait_for(lambda: not stack.control.faults(), what="the first DeleteNode in flight")

    assert stack.store.get(cleanup.id).state is State.RUNNING
    _replace(stack, victim)

    wait_for(lambda: stack.settled(cleanup.id), what="the cleanup finished and shown")
    done = stack.store.get(cleanup.id)
    assert done.state is State.DONE
    assert sorted(done.cleanup_result.nodes_deleted) == sorted(masters)
    cleanup_thread = stack.thread_texts(str(cleanup.message_ts))
    assert len(cleanup_thread) == len(set(cleanup_thread)), f"nothing said twice: {cleanup_thread}"
    said = cleanup_thread[-1]
    assert said.startswith("✅ Cleaned up kill-cleanup: deleted 3 old master nodes")
    assert buttons(stack.message(str(cleanup.message_ts))) == []
    listed = stack.kubectl(cluster_id, "get", "nodes", "-o", "name")
    assert not re.search("|".join(masters), listed) and listed.count("node/") == 1, listed
    assert len(stack.migrate_calls(cluster_id)) == 1


def test_a_worker_killed_after_slack_took_a_thread_reply_but_before_it_was_saved_says_it_once(
    stack: Stack,
) -> None:
    cluster_id, record = _requested(stack, "kill-reply")
    victim = _the_worker(stack)
    # Slack shows the next post at once and holds its answer back: the worker never learns its ts.
    stack.control.fault("slack", "chat.postMessage", latency_ms=6000, delay_response=True)
    stack.click(BOB, str(record.message_ts), "approve_migration")
    wait_for(lambda: not stack.control.faults(), what="the first thread reply in flight")

    in_slack = stack.thread_texts(str(record.message_ts))
    assert len(in_slack) == 1 and "approved" in in_slack[0], in_slack
    assert [seq for seq, _ in stack.store.pending_replies(record.id)][:1] == [1], "posted, not yet saved"
    _replace(stack, victim)

    thread = _assert_migrated_once(stack, cluster_id, record)
    assert sum("approved" in t for t in thread) == 1, thread


def test_a_worker_killed_after_slack_took_the_request_message_but_before_it_was_saved_shows_it_once(
    stack: Stack,
) -> None:
    cluster_id = stack.new_cluster("kill-parent", masters=3, workers=1, migration={"duration_s": 3})["cluster_id"]
    victim = _the_worker(stack)
    stack.control.fault("slack", "chat.postMessage", latency_ms=6000, delay_response=True)
    stack.slash(ALICE, f"migrate kill-parent --bucket {BUCKET}")
    wait_for(lambda: not stack.control.faults(), what="the request message in flight")

    def requests_shown() -> list[dict[str, object]]:
        return [m for m in stack.channel()
                if "kill-parent" in str(m.get("text", "")) and m.get("thread_ts") in (None, m["ts"])]

    assert len(requests_shown()) == 1
    unsaved = stack.record(cluster_id)
    assert unsaved is not None and unsaved.message_ts is None, "posted, not yet saved"
    _replace(stack, victim)

    record = stack.posted_request(cluster_id)
    assert [m["ts"] for m in requests_shown()] == [record.message_ts], "the message Slack took is adopted"
    stack.click(BOB, str(record.message_ts), "approve_migration")
    _assert_migrated_once(stack, cluster_id, record)
    assert len(requests_shown()) == 1
