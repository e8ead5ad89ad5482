"""Which checks a cluster skips, and how a non-running cluster's errors point at its state: plain values."""

from __future__ import annotations

import pytest

from workers.checks.applicability import (
    MASTER_CHECKS,
    masters_absent_because,
    skipped_master_check,
    trace_to_state,
)
from workers.checks.catalog import error_result, result
from workers.checks.cluster_checks import ClusterKind
from workers.checks.model import Outcome

ACCESS_FIX = error_result("master-pods", "x").fix


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (ClusterKind.PRO, "the cluster is already an ACK Pro cluster"),
        (ClusterKind.MANAGED, "the cluster is already a managed cluster"),
        (ClusterKind.SERVERLESS, "the cluster is a serverless cluster"),
        (ClusterKind.EDGE, "the cluster is an edge cluster"),
        (ClusterKind.REGISTERED, "the cluster is a registered (external) cluster"),
    ],
)
def test_clusters_known_not_to_be_dedicated_have_no_masters_to_check(kind: ClusterKind, reason: str) -> None:
    assert masters_absent_because(kind) == reason


@pytest.mark.parametrize("kind", [ClusterKind.DEDICATED, ClusterKind.UNKNOWN])
def test_a_dedicated_or_unreadable_cluster_skips_nothing(kind: ClusterKind) -> None:
    assert masters_absent_because(kind) is None


def test_only_the_checks_that_need_the_masters_can_be_skipped() -> None:
    assert sorted(MASTER_CHECKS) == ["ack-migration-check", "cloud-assistant", "master-pods", "ram-policy"]


def test_a_skipped_check_says_why_and_carries_nothing_to_do() -> None:
    check = skipped_master_check("cloud-assistant", reason="the cluster is already an ACK Pro cluster")

    assert check.outcome is Outcome.SKIP
    assert check.summary == (
        "Skipped: the cluster is already an ACK Pro cluster, "
        "so it has no masters of its own for Cloud Assistant to run on."
    )
    assert (check.fix, check.doc_url) == ("", "")
    assert not check.blocks


def test_an_error_on_a_cluster_that_is_not_running_points_at_the_state_first() -> None:
    error = error_result("master-pods", "kubernetes list pods failed (HTTP 503)")

    traced = trace_to_state(error, state="failed")

    assert traced.outcome is Outcome.ERROR
    assert traced.blocks
    assert traced.summary == error.summary
    assert traced.fix.startswith("The cluster is failed (see cluster-state), the likely cause")
    assert "If this check still cannot run then, fix what it names." in traced.fix


def test_an_error_on_a_running_cluster_keeps_its_access_fix() -> None:
    error = error_result("master-pods", "kubernetes list pods failed (HTTP 403)")
    assert trace_to_state(error, state="running").fix == ACCESS_FIX


def test_only_errors_of_checks_that_need_more_than_the_detail_are_traced_to_the_state() -> None:
    failure = result("master-pods", Outcome.FAIL, "1 pod runs on masters", "Move it.")
    unreadable_version = result("k8s-version", Outcome.ERROR, "Could not read the version.", "Look.")

    assert trace_to_state(failure, state="failed") == failure
    assert trace_to_state(unreadable_version, state="failed") == unreadable_version
