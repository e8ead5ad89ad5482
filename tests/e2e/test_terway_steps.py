"""The doc's terway steps around a migration, done by ackmigrate when ACKMIGRATE_AUTOMATE_TERWAY is on: shown
before approval, done before MigrateCluster, undone when the migration fails, finished after it succeeds,
and resumed without repeating or skipping a step when the worker is SIGKILLed between two of them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.processes import ALICE, BOB, BUCKET, Stack, running_stack, wait_for
from workers.domain.records import Record, State

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack(ACKMIGRATE_AUTOMATE_TERWAY="true", ACKMIGRATE_CANARY_TIMEOUT="5", ACKMIGRATE_LEASE_TTL="2",
                       ACKMIGRATE_RECONCILE_INTERVAL="0.5") as running:
        yield running


def _requested(stack: Stack, name: str, **spec: Any) -> tuple[str, Record]:
    cluster_id = stack.new_cluster(name, addons=["terway-controlplane"], **spec)["cluster_id"]
    stack.slash(ALICE, f"migrate {name} --bucket {BUCKET}")
    return cluster_id, stack.posted_request(cluster_id)


def _calls(stack: Stack, cluster_id: str, *actions: str) -> list[tuple[str, int]]:
    return [(c["action"], c["status"]) for c in stack.control.calls(service="kubernetes")
            if cluster_id in c["path"] and c["action"] in actions]


def _webhooks(stack: Stack, cluster_id: str) -> list[str]:
    return [stack.kubectl(cluster_id, "get", kind, "-o", "name").strip()
            for kind in ("mutatingwebhookconfigurations", "validatingwebhookconfigurations")]


def _replicas(stack: Stack, cluster_id: str) -> str | None:
    listed = json.loads(stack.kubectl(cluster_id, "get", "deployments", "-n", "kube-system", "-o", "json"))
    found = [d for d in listed["items"] if d["metadata"]["name"] == "terway-controlplane"]
    return str(found[0]["spec"]["replicas"]) if found else None


STEPS = ("patch deployments/scale", "delete mutatingwebhookconfigurations", "delete validatingwebhookconfigurations",
         "create mutatingwebhookconfigurations", "create validatingwebhookconfigurations", "delete deployments")


def test_the_steps_are_announced_done_before_the_migration_and_finished_after_it(stack: Stack) -> None:
    cluster_id, record = _requested(stack, "terway-ok-1")
    ts = str(record.message_ts)
    shown = json.dumps(stack.message(ts)["blocks"])
    assert "*ackmigrate will also:* scale terway-controlplane to 0 and back up and delete its mutating" in shown
    assert _webhooks(stack, cluster_id) == ["mutatingwebhookconfiguration.admissionregistration.k8s.io/"
                                            "terway-controlplane",
                                            "validatingwebhookconfiguration.admissionregistration.k8s.io/"
                                            "terway-controlplane"]

    stack.click(BOB, ts, "approve_migration")
    wait_for(lambda: stack.settled(record.id), what="migrated with the terway steps")

    assert stack.store.get(record.id).state is State.SUCCEEDED
    assert _calls(stack, cluster_id, *STEPS) == [
        ("patch deployments/scale", 200), ("delete mutatingwebhookconfigurations", 200),
        ("delete validatingwebhookconfigurations", 200), ("delete deployments", 200)]
    migrate_at = stack.migrate_calls(cluster_id)[0]["time"]
    deleted_at = [c["time"] for c in stack.control.calls(service="kubernetes")
                  if cluster_id in c["path"] and c["action"] == "delete validatingwebhookconfigurations"][0]
    assert deleted_at < migrate_at, "the webhooks are gone before MigrateCluster is called"
    thread = stack.thread_texts(ts)
    (backup,) = [t for t in thread if t.startswith("terway backup, taken before anything was changed")]
    saved = json.loads(backup.split("```")[1])
    assert saved["replicas"] == 1 and set(saved["webhooks"]) == {"MutatingWebhookConfiguration",
                                                                "ValidatingWebhookConfiguration"}
    assert any(t.startswith("terway: scaled terway-controlplane to 0 and deleted") for t in thread)
    assert any(t.startswith("terway: the old terway-controlplane Deployment is deleted. Install") for t in thread)
    assert _webhooks(stack, cluster_id) == ["", ""] and _replicas(stack, cluster_id) is None
    audited = [e["details"].get("action") for e in stack.audit() if e.get("record_id") == record.id
               and e["event"] == "cloud_call"]
    assert audited[:3] == ["ScaleDeployment", "DeleteMutatingWebhookConfiguration",
                           "DeleteValidatingWebhookConfiguration"]
    assert "DeleteDeployment" in audited


def test_a_failed_migration_gets_the_webhooks_and_the_replicas_back(stack: Stack) -> None:
    cluster_id, record = _requested(stack, "terway-fail-1", migration={"duration_s": 3, "fail_at_stage": 3})
    stack.click(BOB, str(record.message_ts), "approve_migration")
    wait_for(lambda: stack.settled(record.id), what="the failure, with terway restored")

    failed = stack.store.get(record.id)
    assert failed.state is State.FAILED
    assert "terway restored: its webhook configurations are back and terway-controlplane is scaled back to 1." \
        in str(failed.reason)
    assert _calls(stack, cluster_id, *STEPS) == [
        ("patch deployments/scale", 200), ("delete mutatingwebhookconfigurations", 200),
        ("delete validatingwebhookconfigurations", 200), ("create mutatingwebhookconfigurations", 201),
        ("create validatingwebhookconfigurations", 201), ("patch deployments/scale", 200)]
    assert _webhooks(stack, cluster_id)[0].endswith("/terway-controlplane")
    assert _webhooks(stack, cluster_id)[1].endswith("/terway-controlplane")
    assert _replicas(stack, cluster_id) == "1"
    said = stack.thread_texts(str(record.message_ts))[-1]
    assert said.startswith("❌ Migration of terway-fail-1 failed at stage 3/5") and "terway restored" in said


def test_a_worker_killed_between_two_steps_resumes_without_repeating_or_skipping_one(stack: Stack) -> None:
    cluster_id, record = _requested(stack, "terway-kill-1")
    (victim,) = stack.workers.alive
    # The first webhook deletion takes effect at once; its answer is held back while the worker is killed.
    stack.control.fault("kubernetes", "delete mutatingwebhookconfigurations", latency_ms=6000, delay_response=True)
    stack.click(BOB, str(record.message_ts), "approve_migration")
    wait_for(lambda: _calls(stack, cluster_id, "delete mutatingwebhookconfigurations"),
             what="the mutating webhook configuration deleted")
    stack.workers.kill(victim)
    assert not stack.migrate_calls(cluster_id)
    stack.workers.start()

    wait_for(lambda: stack.settled(record.id), timeout_s=60, what="resumed and migrated")
    assert stack.store.get(record.id).state is State.SUCCEEDED
    assert len(stack.migrate_calls(cluster_id)) == 1
    assert _calls(stack, cluster_id, *STEPS) == [
        ("patch deployments/scale", 200),  # not redone: marked done before the kill
        ("delete mutatingwebhookconfigurations", 200),
        ("delete mutatingwebhookconfigurations", 404),  # the step the kill cut short, redone: already gone
        ("delete validatingwebhookconfigurations", 200),  # not skipped
        ("delete deployments", 200)]
    thread = stack.thread_texts(str(record.message_ts))
    assert sum(t.startswith("terway backup") for t in thread) == 1, "the backup is posted once"
    assert len(thread) == len(set(thread)), "nothing said twice"


def test_the_steps_are_off_by_default(stack: Stack) -> None:
    """The same cluster, with the setting off: the request message promises nothing and nothing is touched."""
    with stack.workers_with(ACKMIGRATE_AUTOMATE_TERWAY="false"):
        cluster_id, record = _requested(stack, "terway-off-1")
        assert "will also" not in json.dumps(stack.message(str(record.message_ts))["blocks"])
        stack.click(BOB, str(record.message_ts), "approve_migration")
        wait_for(lambda: stack.settled(record.id), what="migrated without the terway steps")
    assert _calls(stack, cluster_id, *STEPS) == []


def test_a_worker_killed_while_undoing_resumes_the_undo_where_it_stopped(stack: Stack) -> None:
    cluster_id, record = _requested(stack, "terway-kill-undo", migration={"duration_s": 3, "fail_at_stage": 3})
    (victim,) = stack.workers.alive
    # The mutating configuration is created back at once; the answer waits while the worker is killed.
    stack.control.fault("kubernetes", "create mutatingwebhookconfigurations", latency_ms=6000, delay_response=True)
    stack.click(BOB, str(record.message_ts), "approve_migration")
    wait_for(lambda: _calls(stack, cluster_id, "create mutatingwebhookconfigurations"), timeout_s=60,
             what="the undo started")
    stack.workers.kill(victim)
    stack.workers.start()

    wait_for(lambda: stack.settled(record.id), timeout_s=60, what="the undo finished and the failure shown")
    assert stack.store.get(record.id).state is State.FAILED
    assert "terway restored" in str(stack.store.get(record.id).reason)
    assert _calls(stack, cluster_id, *STEPS)[3:] == [
        ("create mutatingwebhookconfigurations", 201),
        ("create mutatingwebhookconfigurations", 409),  # the step the kill cut short, redone: already there
        ("create validatingwebhookconfigurations", 201),  # not skipped
        ("patch deployments/scale", 200)]  # the replicas back, once
    assert _replicas(stack, cluster_id) == "1"
    assert all(name.endswith("/terway-controlplane") for name in _webhooks(stack, cluster_id))


def test_a_worker_killed_while_finishing_after_success_resumes_and_says_it_once(stack: Stack) -> None:
    cluster_id, record = _requested(stack, "terway-kill-after")
    (victim,) = stack.workers.alive
    stack.control.fault("kubernetes", "delete deployments", latency_ms=6000, delay_response=True)
    stack.click(BOB, str(record.message_ts), "approve_migration")
    wait_for(lambda: _calls(stack, cluster_id, "delete deployments"), timeout_s=60, what="the old Deployment deleted")
    stack.workers.kill(victim)
    stack.workers.start()

    wait_for(lambda: stack.settled(record.id), timeout_s=60, what="finished after the kill")
    assert stack.store.get(record.id).state is State.SUCCEEDED
    assert _calls(stack, cluster_id, *STEPS) == [
        ("patch deployments/scale", 200), ("delete mutatingwebhookconfigurations", 200),
        ("delete validatingwebhookconfigurations", 200),
        ("delete deployments", 200), ("delete deployments", 404)]  # cut short, redone: already gone
    thread = stack.thread_texts(str(record.message_ts))
    assert sum(t.startswith("terway: the old terway-controlplane Deployment is deleted") for t in thread) == 1
    assert len(thread) == len(set(thread)), "nothing said twice"
