"""The runbook reads ACK's real values, not the ones our sandbox happened to use: refusals in any
spelling, a migration task of any type, cluster states ACK does not document, both ways of listing
stages, and both of ACK's time formats."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.workers.runbook_harness import (
    BUCKET,
    approved_migration,
    delivered,
    drive,
    make_context,
    migratable_cluster,
    thread_texts,
)
from workers.ack_times import ack_time
from workers.cloud import CloudClients
from workers.cloud.models import ClusterTask, TaskStage
from workers.domain.jobs import Job
from workers.domain.records import State
from workers.runbook import migration_task, stages_begun

TEN_UTC = datetime(2026, 12, 1, 10, tzinfo=UTC).timestamp()


def _migrate(sandbox: Any, ctx: Any, cluster: dict[str, str]) -> Any:
    record = approved_migration(ctx, cluster)
    ctx.queues.enqueue(Job.RUN_MIGRATION, record.id)
    drive(ctx, delivered(ctx, record.id))
    return ctx.store.get(record.id)


@pytest.mark.parametrize(
    ("http_status", "code", "message"),
    [
        (403, "Forbidden.NotInWhiteList", "The user is not in the white list"),
        (403, "Forbidden.WhiteList", "Not allowed"),
        (400, "InvalidOperation", "This feature requires the WHITELIST: submit a ticket"),
        (400, "ErrorWhitelist", "Account not permitted"),
        (404, "Forbidden", "feature not in whitelist for this account"),
        (503, "ServiceUnavailable.Whitelist", "not open"),
    ],
)
def test_a_whitelist_refusal_in_any_spelling_and_status_is_recognised(
    sandbox: Any, sandbox_env: dict[str, str], http_status: int, code: str, message: str
) -> None:
    ctx = make_context(sandbox_env)
    sandbox.control.fault("ack", "MigrateCluster", http_status=http_status, code=code, message=message)

    final = _migrate(sandbox, ctx, migratable_cluster(sandbox))

    assert final.state is State.FAILED
    assert "not whitelisted" in str(final.reason)
    (call,) = sandbox.control.calls(service="ack", action="MigrateCluster")
    assert code in str(final.reason) and call["request_id"] in str(final.reason)
    assert "ticket" in thread_texts(sandbox, final)[-1]


def test_any_other_refusal_shows_acks_code_message_and_request_id(sandbox: Any, sandbox_env: dict[str, str]) -> None:
    ctx = make_context(sandbox_env)
    sandbox.control.fault("ack", "MigrateCluster", http_status=400, code="ErrorClusterState",
                          message="cluster is upgrading")

    final = _migrate(sandbox, ctx, migratable_cluster(sandbox))

    assert final.state is State.FAILED
    (call,) = sandbox.control.calls(service="ack", action="MigrateCluster")
    reason = str(final.reason)
    assert "ErrorClusterState" in reason and "cluster is upgrading" in reason and call["request_id"] in reason
    assert "whitelisted" not in reason


@pytest.mark.parametrize(
    ("task_type", "cluster_state"),
    [("cluster_migrate", "migrating"), ("MigrateClusterToPro", "updating"), ("task-7", "switching_control_plane")],
)
def test_a_restarted_migration_finds_its_task_whatever_the_task_type_and_cluster_state(
    sandbox: Any, sandbox_env: dict[str, str], task_type: str, cluster_state: str
) -> None:
    ctx = make_context(sandbox_env)
    cluster = migratable_cluster(sandbox, migration={"duration_s": 2, "task_type": task_type, "cluster_state": cluster_state})
    record = approved_migration(ctx, cluster)
    # The crash: the fence was saved and MigrateCluster called, then the worker died before saving the task.
    ctx.store.update(record.id, migrate_called_at=time.time())
    clouds = CloudClients.from_settings(ctx.settings)
    started = clouds.ack.migrate_cluster(cluster["cluster_id"], bucket=BUCKET,
                                         bucket_endpoint="oss-cn-hangzhou-internal.aliyuncs.com")
    assert sandbox.control.cluster_state(cluster["cluster_id"])["state"] == cluster_state

    ctx.queues.enqueue(Job.RUN_MIGRATION, record.id)
    drive(ctx, delivered(ctx, record.id))

    final = ctx.store.get(record.id)
    assert final.task_id == started.task_id
    assert final.state is State.SUCCEEDED
    assert len(sandbox.control.calls(service="ack", action="MigrateCluster")) == 1


@pytest.mark.parametrize("listing", ["started", "all"])
def test_stage_progress_is_the_same_whether_ack_lists_stages_as_they_begin_or_all_at_once(
    sandbox: Any, sandbox_env: dict[str, str], listing: str
) -> None:
    ctx = make_context(sandbox_env)

    final = _migrate(sandbox, ctx, migratable_cluster(sandbox, migration={"duration_s": 2, "stage_listing": listing}))

    assert final.state is State.SUCCEEDED
    stages = [t.split(":")[0] for t in thread_texts(sandbox, final) if t.startswith("Stage ")]
    assert stages == [f"Stage {n}/5" for n in range(1, 6)], "in order, each once"
    timeline = [moment.to_dict() for moment in final.migration_result.timeline]
    assert [moment["stage"] for moment in timeline] == [1, 2, 3, 4, 5]
    assert all(abs(moment["started_at"] - moment["seen_at"]) < 60 for moment in timeline), "ACK's own start times"


def test_a_task_listed_all_at_once_shows_only_the_stages_that_began(sandbox: Any, sandbox_env: dict[str, str]) -> None:
    cluster = migratable_cluster(sandbox, migration={"duration_s": 600, "stage_listing": "all"})
    clouds = CloudClients.from_settings(make_context(sandbox_env).settings)
    started = clouds.ack.migrate_cluster(cluster["cluster_id"], bucket=BUCKET,
                                         bucket_endpoint="oss-cn-hangzhou-internal.aliyuncs.com")

    task = clouds.ack.describe_task(started.task_id)

    assert len(task.stages) == 5 and stages_begun(task.stages) == 1
    assert ack_time(task.stages[0].start_time) is not None and task.stages[1].start_time == ""


def _stage(state: str, start: str = "", end: str = "") -> TaskStage:
    return TaskStage(state=state, message=f"{state} stage", start_time=start, end_time=end)


@pytest.mark.parametrize(
    ("stages", "begun"),
    [
        ((), 0),
        ((_stage("running", "2026-12-01 10:00:00"),), 1),
        ((_stage("success", "2026-12-01 10:00:00", "2026-12-01 10:01:00"), _stage("pending"), _stage("pending")), 1),
        ((_stage("success", "2026-12-01 10:00:00"), _stage("Running", "2026-12-01 10:02:00"), _stage("")), 2),
        ((_stage("success"), _stage("weird-new-state", "2026-12-01T10:02:00Z"), _stage("waiting")), 2),
    ],
)
def test_stages_begun_reads_each_stages_own_state_and_times(stages: tuple[TaskStage, ...], begun: int) -> None:
    assert stages_begun(stages) == begun


@pytest.mark.parametrize(
    ("stamp", "epoch"),
    [
        ("2026-12-01 10:00:00", TEN_UTC),
        ("2026-12-01T10:00:00Z", TEN_UTC),
        ("2026-12-01T18:00:00+08:00", TEN_UTC),
        ("", None),
        ("yesterday", None),
    ],
)
def test_ack_times_in_both_forms(stamp: str, epoch: float | None) -> None:
    assert ack_time(stamp) == epoch


def _task(task_id: str, task_type: str, created: str) -> ClusterTask:
    return ClusterTask(task_id=task_id, task_type=task_type, state="running", created=created, updated=created)


def test_the_migration_task_is_the_one_created_after_the_call_whatever_its_type() -> None:
    called_at = ack_time("2026-12-01 10:00:00") or 0.0
    tasks = [
        _task("T-old", "nodepool_scaleout", "2026-12-01T08:00:00Z"),  # long before the call
        _task("T-ours", "UnheardOfType", "2026-12-01 10:00:02"),
        _task("T-later", "nodepool_scaleout", "2026-12-01T10:09:00Z"),
    ]

    assert migration_task(tasks, called_at=called_at).task_id == "T-ours"  # type: ignore[union-attr]
    assert migration_task(tasks[:1], called_at=called_at) is None
