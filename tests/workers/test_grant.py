"""The migrate job's RAM grant against the sandbox's RAM, at the limits RAM enforces (6,144 bytes, 5 versions)."""

from __future__ import annotations

import json
from typing import Any

from sandbox.world import DEFAULT_MASTER_POLICY
from tests.workers.runbook_harness import (
    BUCKET,
    approved_migration,
    delivered,
    drive,
    make_context,
    thread_texts,
)
from workers.checks.policy import MAX_DOCUMENT_BYTES, policy_with_oss_statement
from workers.domain.jobs import Job
from workers.domain.records import State


def _cluster(sandbox: Any, **master_policy: Any) -> dict[str, str]:
    sandbox.control.create_bucket(BUCKET)
    result: dict[str, str] = sandbox.control.create_cluster(
        name="prod-hz-1", oss_granted_buckets=[], migration={"duration_s": 2}, master_policy=master_policy
    )
    return result


def _ram(sandbox: Any, action: str) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = sandbox.control.calls(service="ram", action=action)
    return calls


def _versions(sandbox: Any, cluster_id: str) -> list[dict[str, Any]]:
    name = sandbox.control.cluster_state(cluster_id)["master_policies"][0]
    found = [c for c in _ram(sandbox, "ListPolicyVersions") if c["params"].get("PolicyName") == name]
    assert found, "the grant lists the versions before changing anything"
    return found


def test_the_grant_sends_compact_json_as_the_new_default_version(sandbox, sandbox_env):
    ctx = make_context(sandbox_env, ACKMIGRATE_GRANT_RAM_POLICY="true")
    record = approved_migration(ctx, _cluster(sandbox))

    ctx.queues.enqueue(Job.RUN_MIGRATION, record.id)
    drive(ctx, delivered(ctx, record.id))

    assert ctx.store.get(record.id).state is State.SUCCEEDED
    [create] = _ram(sandbox, "CreatePolicyVersion")
    document = create["params"]["PolicyDocument"]
    assert document == json.dumps(json.loads(document), separators=(",", ":"))
    assert create["params"]["SetAsDefault"] == "true" and create["params"]["RotateStrategy"] == "None"
    assert _ram(sandbox, "DeletePolicyVersion") == []
    assert any("(version v2, now default)" in t for t in thread_texts(sandbox, ctx.store.get(record.id)))


def test_with_five_versions_the_oldest_non_default_one_is_removed_and_named_in_the_thread(sandbox, sandbox_env):
    ctx = make_context(sandbox_env, ACKMIGRATE_GRANT_RAM_POLICY="true")
    cluster = _cluster(sandbox, versions=5)
    record = approved_migration(ctx, cluster)

    ctx.queues.enqueue(Job.RUN_MIGRATION, record.id)
    drive(ctx, delivered(ctx, record.id))

    final = ctx.store.get(record.id)
    assert final.state is State.SUCCEEDED
    _versions(sandbox, cluster["cluster_id"])
    [delete] = _ram(sandbox, "DeletePolicyVersion")
    assert delete["params"]["VersionId"] == "v1" and delete["status"] == 200
    [create] = _ram(sandbox, "CreatePolicyVersion")
    assert create["status"] == 200 and create["seq"] > delete["seq"]
    note = next(t for t in thread_texts(sandbox, final) if "Added the OSS statement" in t)
    assert "(version v6, now default)" in note
    assert "the oldest non-default one, v1" in note and "was removed first" in note
    audited = [e for e in ctx.audit.read() if e.event == "cloud_call"
               and e.details["action"] in ("DeletePolicyVersion", "CreatePolicyVersion")]
    assert [(e.details["action"], e.details["version"]) for e in audited] == [
        ("DeletePolicyVersion", "v1"), ("CreatePolicyVersion", "v6")]
    assert all(e.details["request_id"] for e in audited), "each change carries RAM's request id"


def _filler(size: int) -> dict[str, Any]:
    """A statement that makes the granted document exactly `size` bytes."""
    base = {"Effect": "Allow", "Action": ["ecs:DescribeInstances"], "Resource": ["x"]}
    document = json.loads(json.dumps(DEFAULT_MASTER_POLICY))
    document["Statement"].append(base)
    grown = len(policy_with_oss_statement(json.dumps(document), BUCKET).encode())
    base["Resource"] = ["x" * (1 + size - grown)]
    return base


def test_a_grant_of_exactly_6144_bytes_is_accepted_by_ram(sandbox, sandbox_env):
    ctx = make_context(sandbox_env, ACKMIGRATE_GRANT_RAM_POLICY="true")
    record = approved_migration(ctx, _cluster(sandbox, statements=[_filler(MAX_DOCUMENT_BYTES)]))

    ctx.queues.enqueue(Job.RUN_MIGRATION, record.id)
    drive(ctx, delivered(ctx, record.id))

    assert ctx.store.get(record.id).state is State.SUCCEEDED
    [create] = _ram(sandbox, "CreatePolicyVersion")
    assert len(create["params"]["PolicyDocument"].encode()) == MAX_DOCUMENT_BYTES


def test_a_grant_over_6144_bytes_stops_the_migration_before_ram_is_asked(sandbox, sandbox_env):
    ctx = make_context(sandbox_env, ACKMIGRATE_GRANT_RAM_POLICY="true")
    record = approved_migration(ctx, _cluster(sandbox, statements=[_filler(MAX_DOCUMENT_BYTES + 1)]))

    ctx.queues.enqueue(Job.RUN_MIGRATION, record.id)
    drive(ctx, delivered(ctx, record.id))

    final = ctx.store.get(record.id)
    assert final.state is State.FAILED
    assert "6,145 bytes, over RAM's limit of 6,144 bytes" in str(final.reason)
    assert "MigrateCluster was not called" in str(final.reason)
    assert "6,145 bytes" in thread_texts(sandbox, final)[-1]
    assert _ram(sandbox, "CreatePolicyVersion") == [] and _ram(sandbox, "DeletePolicyVersion") == []
    assert sandbox.control.calls(service="ack", action="MigrateCluster") == []
