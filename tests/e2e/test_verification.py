"""Every migration is verified before its success is announced, through Slack with the real processes: all
good; a worker left NotReady; CoreDNS unavailable; a canary that cannot be scheduled; an API server that
moved. Then `verify` at any time, from Slack and from a terminal."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.processes import ACKMIGRATE, ALICE, BOB, BUCKET, Stack, running_stack, wait_for
from workers.domain.records import State

pytestmark = pytest.mark.e2e

CANARY_TIMEOUT_S = "4"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack(ACKMIGRATE_CANARY_TIMEOUT=CANARY_TIMEOUT_S) as running:
        yield running


def _migrated(stack: Stack, name: str, **after: Any) -> tuple[str, str, list[str], list[str]]:
    """Alice asks, Bob approves, ACK succeeds: (cluster id, record id, thread texts, broadcasts)."""
    cluster_id = stack.new_cluster(name, after_migration=after)["cluster_id"]
    stack.slash(ALICE, f"migrate {name} --bucket {BUCKET}")
    record = stack.posted_request(cluster_id)
    ts = str(record.message_ts)
    stack.click(BOB, ts, "approve_migration")
    wait_for(lambda: stack.settled(record.id), what=f"{name} migrated, verified and announced")
    assert stack.store.get(record.id).state is State.SUCCEEDED, "a failed verification does not unmigrate"
    broadcasts = [str(m["text"]) for m in stack.channel() if m.get("reply_broadcast") and m.get("thread_ts") == ts]
    return cluster_id, record.id, stack.thread_texts(ts), broadcasts


def _verification(thread: list[str]) -> str:
    (reply,) = [text for text in thread if text.startswith("Verification of ")]
    return reply


def _lines(stack: Stack, record_id: str) -> dict[str, dict[str, Any]]:
    verification = stack.store.get(record_id).migration_result.verification
    assert verification is not None, "the verification is saved with the record"
    return {check.id: check.to_dict() for check in verification.checks}


def _canary_calls(stack: Stack, cluster_id: str) -> list[str]:
    """What the Kubernetes API received about the canary: its namespace (created by POST to the collection)
    and its pod."""
    return [c["action"] for c in stack.control.calls(service="kubernetes") if cluster_id in c["path"] and (
        "ackmigrate-canary-" in c["path"] or c["action"] == "create namespaces")]


def test_a_healthy_migration_is_verified_before_success_is_announced(stack: Stack) -> None:
    cluster_id, record_id, thread, broadcasts = _migrated(stack, "verify-ok-1")

    reply = _verification(thread)
    assert reply.startswith("Verification of verify-ok-1: verified (✅ 4 passed")
    assert thread.index(reply) == len(thread) - 2, "the verification reply comes just before the result"
    (said,) = broadcasts
    assert said.startswith("✅ verify-ok-1 is now ACK Pro (ack.pro.small)") and ", and verified." in said
    checks = _lines(stack, record_id)
    assert {k: v["outcome"] for k, v in checks.items()} == {
        "api-endpoint": "pass", "nodes": "pass", "kube-system": "pass", "canary": "pass"}
    assert "the same address as before the migration" in checks["api-endpoint"]["summary"]
    assert "Old masters, expected NotReady/Unknown: " in checks["nodes"]["summary"]
    assert "coredns" in checks["kube-system"]["summary"]
    assert "ran on worker" in checks["canary"]["summary"]
    baseline = stack.store.get(record_id).migration_result.baseline
    assert baseline is not None and baseline.available_deployments, "the kube-system snapshot taken before"
    assert _canary_calls(stack, cluster_id)[:2] == ["create namespaces", "create pods"]
    assert _canary_calls(stack, cluster_id)[-2:] == ["delete pods", "delete namespaces"], "the canary is gone"
    namespaces = stack.kubectl(cluster_id, "get", "namespaces", "-o", "name")
    assert "ackmigrate-canary" not in namespaces


def test_a_worker_left_notready_fails_the_verification_but_not_the_migration(stack: Stack) -> None:
    _, record_id, thread, broadcasts = _migrated(stack, "verify-nr-1", not_ready_workers=1)

    assert _verification(thread).startswith("Verification of verify-nr-1: failed (✅ 3 passed")
    (said,) = broadcasts
    assert said.startswith("⚠️ verify-nr-1 is migrated to ACK Pro (ack.pro.small)")
    assert "but verification failed: Nodes Ready: 1 of 3 workers not Ready: cn-hangzhou." in said
    assert "(NotReady)" in said
    assert "The migration cannot be undone." in said and "run `/ackmigrate verify` again" in said
    assert _lines(stack, record_id)["nodes"]["outcome"] == "fail"


def test_coredns_unavailable_after_the_migration_is_named(stack: Stack) -> None:
    _, record_id, thread, broadcasts = _migrated(stack, "verify-dns-1", coredns_available=False)

    (said,) = broadcasts
    assert "but verification failed: kube-system Deployments available: available before the migration but " \
           "not available now: coredns (0/2 ready)." in said
    assert _lines(stack, record_id)["kube-system"]["outcome"] == "fail"
    assert _verification(thread).startswith("Verification of verify-dns-1: failed (✅ 3 passed")


def test_a_canary_that_cannot_be_scheduled_fails_after_the_bounded_wait_and_is_cleaned_up(stack: Stack) -> None:
    cluster_id, record_id, _, broadcasts = _migrated(stack, "verify-can-1", canary_schedulable=False)

    canary = _lines(stack, record_id)["canary"]
    assert canary["outcome"] == "fail"
    assert f"was still Pending after {CANARY_TIMEOUT_S} s (Unschedulable:" in canary["summary"]
    assert "registry-cn-hangzhou-vpc.ack.aliyuncs.com/acs/pause:3.9" in canary["summary"], "ACK's pause image"
    (said,) = broadcasts
    assert "but verification failed: Canary pod runs: pod ackmigrate-canary-" in said
    assert _canary_calls(stack, cluster_id)[-2:] == ["delete pods", "delete namespaces"]


def test_an_api_server_that_moved_fails_the_endpoint_check(stack: Stack) -> None:
    _, record_id, _, broadcasts = _migrated(stack, "verify-ep-1", api_endpoint_changes=True)

    endpoint = _lines(stack, record_id)["api-endpoint"]
    baseline = stack.store.get(record_id).migration_result.baseline
    assert baseline is not None
    before = baseline.api_endpoint
    assert endpoint["outcome"] == "fail"
    assert endpoint["summary"] == (f"the kubeconfig now points at {before}-pro, not {before} as before the "
                                   "migration")
    (said,) = broadcasts
    assert "but verification failed: API server at the same address: the kubeconfig now points at" in said


def test_verify_from_slack_answers_privately_and_posts_nothing(stack: Stack) -> None:
    _, _, _, _ = _migrated(stack, "verify-cmd-1", not_ready_workers=1)
    posted = len(stack.channel())
    before = len(stack.private(ALICE))

    answer = stack.slash(ALICE, "verify verify-cmd-1")
    assert "Verifying `verify-cmd-1`" in str(answer["body"])
    said = wait_for(lambda: stack.private(ALICE)[before + 1:], what="the private verification answer")
    assert said[-1].startswith("Verification of verify-cmd-1: failed (✅ 3 passed")
    assert len(stack.channel()) == posted, "nothing in the channel"


def test_verify_with_no_cluster_named_is_a_usage_error_that_changes_nothing(stack: Stack) -> None:
    answer = stack.slash(ALICE, "verify")
    assert "`verify` needs a cluster id or name" in str(answer["body"])
    assert "/ackmigrate verify CLUSTER" in str(answer["body"])


def test_verify_from_a_terminal_exits_by_the_verdict(stack: Stack) -> None:
    _migrated(stack, "verify-cli-ok")
    _migrated(stack, "verify-cli-bad", coredns_available=False)

    good = subprocess.run([ACKMIGRATE, "verify", "verify-cli-ok", "--json"], capture_output=True, text=True,
                          env=stack.process_env(), timeout=60)
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["verified"] is True
    bad = subprocess.run([ACKMIGRATE, "verify", "verify-cli-bad"], capture_output=True, text=True,
                         env=stack.process_env(), timeout=60)
    assert bad.returncode == 1, bad.stderr
    assert "FAIL   kube-system" in bad.stdout and bad.stdout.rstrip().endswith("Verdict: FAILED — kube-system")
    unknown = subprocess.run([ACKMIGRATE, "verify", "no-such-cluster"], capture_output=True, text=True,
                             env=stack.process_env(), timeout=60)
    assert unknown.returncode == 2 and "no-such-cluster" in unknown.stderr
