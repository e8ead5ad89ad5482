"""The runbook against the sandbox and a real Redis, its jobs run by real RQ in this process."""

from __future__ import annotations

import time
from typing import Any

from tests.workers.runbook_harness import (
    BUCKET,
    CHANNEL,
    approved_migration,
    delivered,
    drive,
    make_context,
    migratable_cluster,
    thread_texts,
)
from workers import cleanup
from workers.checks.ram_evaluation import BucketObjects, evaluate
from workers.cloud import CloudClients
from workers.domain.jobs import Job
from workers.domain.records import Kind, Record, State, new_record_id
from workers.domain.results import CleanupResult, OldMaster
from workers.runbook import run_migration


def _migrate_calls(sandbox: Any) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = sandbox.control.calls(service="ack", action="MigrateCluster")
    return calls


def test_approved_migration_succeeds_with_every_stage_in_order_in_the_thread(sandbox, sandbox_env):
    ctx = make_context(sandbox_env)
    record = approved_migration(ctx, migratable_cluster(sandbox, cgpu="basic"))

    ctx.queues.enqueue(Job.RUN_MIGRATION, record.id)
    drive(ctx, delivered(ctx, record.id))

    final = ctx.store.get(record.id)
    assert final.state is State.SUCCEEDED
    assert final.migration_result.cluster_spec == "ack.pro.small"
    assert [m.ready for m in final.migration_result.masters] == ["Unknown"] * 3
    texts = thread_texts(sandbox, final)
    stages = [t for t in texts if t.startswith("Stage ")]
    assert [s.split(":")[0] for s in stages] == [f"Stage {n}/5" for n in range(1, 6)]
    assert texts[-1].startswith("✅ prod-hz-1 is now ACK Pro")
    assert "cGPU" in texts[-1]
    assert len(_migrate_calls(sandbox)) == 1
    channel = sandbox.control.slack_messages(CHANNEL)
    assert any(m.get("text", "").startswith("✅ prod-hz-1 is now ACK Pro") for m in channel), "result broadcast"


def test_a_failing_stage_ends_the_migration_failed_with_acks_error(sandbox, sandbox_env):
    ctx = make_context(sandbox_env)
    record = approved_migration(ctx, migratable_cluster(sandbox, migration={"duration_s": 2, "fail_at_stage": 3}))

    ctx.queues.enqueue(Job.RUN_MIGRATION, record.id)
    drive(ctx, delivered(ctx, record.id))

    final = ctx.store.get(record.id)
    assert final.state is State.FAILED
    assert "MigrateControlPlaneFailed" in str(final.reason)
    assert final.migration_result.failure.cluster_state == "failed"
    assert thread_texts(sandbox, final)[-1].startswith("❌ Migration of prod-hz-1 failed")


def test_an_account_not_whitelisted_fails_with_the_ticket_to_open(sandbox, sandbox_env):
    ctx = make_context(sandbox_env)
    record = approved_migration(ctx, migratable_cluster(sandbox, whitelisted=False))

    ctx.queues.enqueue(Job.RUN_MIGRATION, record.id)
    drive(ctx, delivered(ctx, record.id))

    final = ctx.store.get(record.id)
    assert final.state is State.FAILED
    assert "not whitelisted" in str(final.reason)
    assert "ticket" in thread_texts(sandbox, final)[-1]
    assert [c["status"] for c in _migrate_calls(sandbox)] == [403]


def test_missing_ram_statement_blocks_the_migration_when_granting_is_off(sandbox, sandbox_env):
    ctx = make_context(sandbox_env)
    record = approved_migration(ctx, migratable_cluster(sandbox, oss_granted_buckets=[]))

    ctx.queues.enqueue(Job.RUN_MIGRATION, record.id)
    drive(ctx, delivered(ctx, record.id))

    final = ctx.store.get(record.id)
    assert final.state is State.FAILED
    assert f'"Resource": ["acs:oss:*:*:{BUCKET}/*"]' in str(final.reason), "the exact JSON to add"
    assert _migrate_calls(sandbox) == []
    assert sandbox.control.calls(service="ram", action="CreatePolicyVersion") == []


def test_missing_ram_statement_is_added_before_migrating_when_granting_is_on(sandbox, sandbox_env):
    ctx = make_context(sandbox_env, ACKMIGRATE_GRANT_RAM_POLICY="true")
    cluster = migratable_cluster(sandbox, oss_granted_buckets=[])
    record = approved_migration(ctx, cluster)

    ctx.queues.enqueue(Job.RUN_MIGRATION, record.id)
    drive(ctx, delivered(ctx, record.id))

    assert ctx.store.get(record.id).state is State.SUCCEEDED
    assert len(sandbox.control.calls(service="ram", action="CreatePolicyVersion")) == 1
    clouds = CloudClients.from_settings(ctx.settings)
    policy = sandbox.control.cluster_state(cluster["cluster_id"])["master_policies"][0]
    objects = BucketObjects(BUCKET, region="cn-hangzhou", account=clouds.oss.bucket_info(BUCKET).owner_id)
    assert evaluate(clouds.ram.get_policy(policy).document, objects).allows_bucket
    granted = [e for e in ctx.audit.read() if e.event == "cloud_call" and e.details["action"] == "CreatePolicyVersion"]
    assert len(granted) == 1


def test_duplicate_migration_jobs_call_migrate_cluster_once(sandbox, sandbox_env):
    ctx = make_context(sandbox_env)
    record = approved_migration(ctx, migratable_cluster(sandbox))

    for _ in range(3):
        ctx.queues.enqueue(Job.RUN_MIGRATION, record.id)
    drive(ctx, delivered(ctx, record.id))
    run_migration(ctx, record.id, owner="late-duplicate")

    assert ctx.store.get(record.id).state is State.SUCCEEDED
    assert len(_migrate_calls(sandbox)) == 1
    accepted = [t for t in thread_texts(sandbox, ctx.store.get(record.id)) if "MigrateCluster accepted" in t]
    assert len(accepted) == 1


def test_a_worker_killed_after_calling_migrate_cluster_is_followed_by_finding_the_task(sandbox, sandbox_env):
    ctx = make_context(sandbox_env)
    cluster = migratable_cluster(sandbox)
    record = approved_migration(ctx, cluster)
    # The crash: the fence was saved and MigrateCluster called, then the worker died before saving the task.
    ctx.store.update(record.id, migrate_called_at=time.time())
    clouds = CloudClients.from_settings(ctx.settings)
    started = clouds.ack.migrate_cluster(cluster["cluster_id"], bucket=BUCKET,
                                         bucket_endpoint="oss-cn-hangzhou-internal.aliyuncs.com")

    ctx.queues.enqueue(Job.RUN_MIGRATION, record.id)
    drive(ctx, delivered(ctx, record.id))

    final = ctx.store.get(record.id)
    assert final.task_id == started.task_id
    assert final.state is State.SUCCEEDED
    assert len(_migrate_calls(sandbox)) == 1


def test_slack_failures_delay_the_thread_but_not_the_migration(sandbox, sandbox_env):
    ctx = make_context(sandbox_env)
    record = approved_migration(ctx, migratable_cluster(sandbox))
    sandbox.control.fault("slack", http_status=500, count=6)
    sandbox.control.fault("slack", action="chat.postMessage", http_status=429, count=2)

    ctx.queues.enqueue(Job.RUN_MIGRATION, record.id)
    drive(ctx, lambda: ctx.store.get(record.id).terminal)
    assert ctx.store.get(record.id).state is State.SUCCEEDED
    drive(ctx, delivered(ctx, record.id), timeout_s=60)

    texts = thread_texts(sandbox, ctx.store.get(record.id))
    stages = [t.split(":")[0] for t in texts if t.startswith("Stage ")]
    assert stages == [f"Stage {n}/5" for n in range(1, 6)], "in order, none twice"
    assert len(texts) == len(set(texts))
    assert any(e.event == "slack_error" for e in ctx.audit.read())


def _migrated_then_cleanup(ctx: Any, sandbox: Any, *, release_ecs: bool, **spec: Any) -> tuple[dict[str, str], Record]:
    """A cluster migrated for real, and an approved cleanup request for its old masters (not yet run)."""
    cluster = migratable_cluster(sandbox, **spec)
    migration = approved_migration(ctx, cluster)
    ctx.queues.enqueue(Job.RUN_MIGRATION, migration.id)
    drive(ctx, delivered(ctx, migration.id))
    masters = cleanup.old_masters(ctx.clouds(), cluster["cluster_id"])
    record = ctx.store.create(Record(
        id=new_record_id(Kind.CLEANUP), kind=Kind.CLEANUP, cluster_id=cluster["cluster_id"],
        cluster_name=cluster["name"], region="cn-hangzhou", requester="U0ALICE", channel=CHANNEL,
        parent_id=migration.id, state=State.APPROVED, release_ecs=release_ecs, result=CleanupResult(masters=tuple(map(OldMaster.from_dict, masters))),
    ))
    return cluster, record


def test_cleanup_deletes_only_masters_that_are_not_ready(sandbox, sandbox_env):
    ctx = make_context(sandbox_env)
    cluster, cleanup_record = _migrated_then_cleanup(ctx, sandbox, release_ecs=False)

    ctx.queues.enqueue(Job.RUN_CLEANUP, cleanup_record.id)
    drive(ctx, delivered(ctx, cleanup_record.id))

    final = ctx.store.get(cleanup_record.id)
    assert final.state is State.DONE
    nodes = sandbox.control.cluster_state(cluster["cluster_id"])["nodes"]
    assert sorted(final.cleanup_result.nodes_deleted) == sorted(n["name"] for n in nodes if n["role"] == "Master")
    assert all(not n["in_kubernetes"] for n in nodes if n["role"] == "Master")
    assert all(n["in_kubernetes"] for n in nodes if n["role"] == "Worker")
    assert all(not n["released"] for n in nodes), "instances are released only when asked"
    assert ctx.store.get(str(cleanup_record.parent_id)).migration_result.cleanup_id == final.id
    assert sandbox.control.calls(service="ack", action="DeleteClusterNodes") == []


def test_cleanup_with_release_releases_pay_as_you_go_masters_through_ecs_and_names_the_subscription_one(
    sandbox, sandbox_env
):
    ctx = make_context(sandbox_env)
    cluster, cleanup_record = _migrated_then_cleanup(ctx, sandbox, release_ecs=True,
                                                     charge_types=["PostPaid", "PrePaid", "PostPaid"])

    ctx.queues.enqueue(Job.RUN_CLEANUP, cleanup_record.id)
    drive(ctx, delivered(ctx, cleanup_record.id))

    final = ctx.store.get(cleanup_record.id)
    assert final.state is State.DONE
    nodes = [n for n in sandbox.control.cluster_state(cluster["cluster_id"])["nodes"] if n["role"] == "Master"]
    payg = sorted(n["instance_id"] for n in nodes if n["charge_type"] == "PostPaid")
    [prepaid] = [n["instance_id"] for n in nodes if n["charge_type"] == "PrePaid"]
    assert all(not n["in_kubernetes"] for n in nodes), "kubectl delete node still happens for every old master"
    assert [n["instance_id"] for n in nodes if n["released"]] == [i for i in (n["instance_id"] for n in nodes)
                                                                   if i in payg]
    deletes = sandbox.control.calls(service="ecs", action="DeleteInstances")
    assert [(c["params"]["DryRun"], c["status"], c["error_code"]) for c in deletes] == [
        ("true", 400, "DRYRUN.SUCCESS"), ("false", 200, "")]
    assert sorted(v for k, v in deletes[1]["params"].items() if k.startswith("InstanceId.")) == payg
    assert sandbox.control.calls(service="ack", action="DeleteClusterNodes") == []
    assert list(final.cleanup_result.instances_released) == payg
    assert [m.instance_id for m in final.cleanup_result.needs_console] == [prepaid]
    reply = thread_texts(sandbox, final)[-1]
    released_line = next(line for line in reply.splitlines() if line.startswith("Released"))
    assert all(i in released_line for i in payg) and prepaid not in released_line
    console_line = next(line for line in reply.splitlines() if "Not released" in line)
    assert prepaid in console_line and "Switch to Pay-as-you-go" in console_line
    assert "https://www.alibabacloud.com/help/en/ecs/user-guide/release-an-instance" in console_line


def test_a_retried_release_claims_nothing_it_did_not_release(sandbox, sandbox_env):
    ctx = make_context(sandbox_env)
    _, cleanup_record = _migrated_then_cleanup(ctx, sandbox, release_ecs=True)
    masters = [m.to_dict() for m in cleanup_record.cleanup_result.masters or ()]
    # An earlier run released one instance and was cut off before it recorded anything.
    ctx.clouds().ecs.release([masters[0]["instance_id"]], client_token="earlier-run")

    ctx.queues.enqueue(Job.RUN_CLEANUP, cleanup_record.id)
    drive(ctx, delivered(ctx, cleanup_record.id))

    final = ctx.store.get(cleanup_record.id)
    assert list(final.cleanup_result.instances_gone) == [masters[0]["instance_id"]]
    assert sorted(final.cleanup_result.instances_released) == sorted(m["instance_id"] for m in masters[1:])
    reply = thread_texts(sandbox, final)[-1]
    assert f"Already released before this cleanup (ECS no longer lists them): {masters[0]['instance_id']}" in reply


def test_a_refused_dry_run_releases_nothing_and_says_why(sandbox, sandbox_env):
    ctx = make_context(sandbox_env)
    cluster, cleanup_record = _migrated_then_cleanup(ctx, sandbox, release_ecs=True)
    sandbox.control.fault("ecs", action="DeleteInstances", http_status=403, code="Forbidden.RAM",
                          message="User not authorized to operate on the specified resource.", count=1)

    ctx.queues.enqueue(Job.RUN_CLEANUP, cleanup_record.id)
    drive(ctx, delivered(ctx, cleanup_record.id))

    final = ctx.store.get(cleanup_record.id)
    assert final.state is State.FAILED
    assert "Forbidden.RAM" in str(final.reason)
    assert [c["params"]["DryRun"] for c in sandbox.control.calls(service="ecs", action="DeleteInstances")] == ["true"]
    assert not any(n["released"] for n in sandbox.control.cluster_state(cluster["cluster_id"])["nodes"])
    reply = thread_texts(sandbox, final)[-1]
    assert "Forbidden.RAM" in reply and "Released through" not in reply


def test_a_new_failure_between_approval_and_run_ends_it_without_calling_the_cloud(sandbox, sandbox_env):
    ctx = make_context(sandbox_env)
    record = approved_migration(ctx, migratable_cluster(sandbox, cloud_assistant=[True, False, True]))

    ctx.queues.enqueue(Job.RUN_MIGRATION, record.id)
    drive(ctx, delivered(ctx, record.id))

    final = ctx.store.get(record.id)
    assert final.state is State.FAILED
    assert "MigrateCluster was not called" in str(final.reason)
    assert _migrate_calls(sandbox) == []
    assert final.precheck is not None and final.precheck.blocking  # the re-run's findings are kept


def test_the_audit_log_tells_the_jobs_and_the_cloud_call_of_a_migration(sandbox, sandbox_env):
    ctx = make_context(sandbox_env)
    record = approved_migration(ctx, migratable_cluster(sandbox))

    ctx.queues.enqueue(Job.RUN_MIGRATION, record.id)
    drive(ctx, delivered(ctx, record.id))

    entries = [e for e in ctx.audit.read() if e.record_id == record.id]
    story = [(e.event, e.details.get("job") or e.details.get("action"), e.outcome) for e in entries]
    assert ("job_started", "run_migration", "ok") in story
    assert ("job_finished", "run_migration", "ok") in story
    assert ("job_finished", "follow_migration", "succeeded") in story
    (migrate,) = [e for e in entries if e.event == "cloud_call" and e.details.get("action") == "MigrateCluster"]
    assert migrate.details["request_id"], "the mutating call carries ACK's request id"
    assert story.index(("job_started", "run_migration", "ok")) < story.index(("cloud_call", "MigrateCluster",
                                                                              migrate.outcome))
