"""Typed results read the JSON records already in Redis: any key may be missing, unknown keys survive."""

from __future__ import annotations

import json
from dataclasses import replace

from workers.checks.model import CheckResult, Outcome, Severity
from workers.domain.results import (
    Baseline,
    CleanupResult,
    Failure,
    MigrationResult,
    OldMaster,
    StageSeen,
    VerificationReport,
)

# What a release before the typed results wrote for a succeeded migration (runbook, verifying, cleanup).
STORED_MIGRATION = {
    "baseline": {"api_endpoint": "https://47.0.0.1:6443", "available_deployments": ["coredns"], "taken_at": 1.5},
    "timeline": [{"stage": 1, "name": "Backing up etcd", "seen_at": 10.0},
                 {"stage": 2, "name": "Migrating control plane", "seen_at": 20.0, "started_at": 19.0}],
    "verification": {"cluster_id": "c1", "cluster_name": "prod", "checked_at": 30.0, "verified": True,
                     "checks": [{"id": "nodes", "title": "Nodes Ready", "outcome": "pass", "severity": "fail",
                                 "summary": "all 3 workers Ready.", "fix": "", "doc_url": ""}],
                     "follow_ups": []},
    "cluster_spec": "ack.pro.small", "duration_s": 840,
    "masters": [{"instance_id": "i-1", "node_name": "cn-hangzhou.10.0.0.1", "charge_type": "PostPaid",
                 "ready": "Unknown"}],
    "cgpu": "", "addons": [],
    "cleanup_id": "c-0123456789ab",
}


def test_an_empty_or_missing_result_reads_as_nothing_done_yet() -> None:
    for stored in (None, {}):
        result = MigrationResult.from_dict(stored)
        assert result == MigrationResult()
        assert result.to_dict() == {}
        assert CleanupResult.from_dict(stored).masters is None, "not named: the precheck's masters stand in"


def test_a_migration_result_written_before_the_types_reads_whole() -> None:
    result = MigrationResult.from_dict(json.loads(json.dumps(STORED_MIGRATION)))

    assert result.baseline == Baseline("https://47.0.0.1:6443", ("coredns",), 1.5)
    assert result.timeline == (StageSeen(1, "Backing up etcd", 10.0), StageSeen(2, "Migrating control plane", 20.0, 19.0))
    assert result.verification is not None and result.verification.verified
    assert result.masters == (OldMaster("i-1", "cn-hangzhou.10.0.0.1", "PostPaid", "Unknown"),)
    assert (result.cluster_spec, result.duration_s, result.cleanup_id) == ("ack.pro.small", 840, "c-0123456789ab")


def test_a_round_trip_keeps_every_key_it_knows_and_those_it_does_not() -> None:
    stored = {**STORED_MIGRATION, "added_by_a_newer_release": {"x": 1}}
    written = MigrationResult.from_dict(stored).to_dict()

    assert written["added_by_a_newer_release"] == {"x": 1}
    assert {k: v for k, v in written.items() if k != "added_by_a_newer_release"} == {
        k: v for k, v in STORED_MIGRATION.items() if v not in ("", [])  # empty values are left out, read back the same
    }
    assert MigrationResult.from_dict(written) == MigrationResult.from_dict(stored)


def test_a_failure_keeps_its_next_step_and_cluster_state_beside_the_rest() -> None:
    stored = {"timeline": [{"stage": 3, "name": "x", "seen_at": 1.0}], "next_step": "open a ticket",
              "cluster_state": "failed"}
    result = MigrationResult.from_dict(stored)

    assert result.failure == Failure(cluster_state="failed", next_step="open a ticket")
    assert result.extra == {}
    assert result.to_dict() == stored


def test_partial_entries_are_read_with_defaults_not_refused() -> None:
    result = MigrationResult.from_dict({"masters": [{"instance_id": "i-1"}], "timeline": [{"stage": 2}],
                                        "duration_s": None, "verification": {"checks": []}})

    assert result.masters == (OldMaster("i-1"),)
    assert result.masters[0].name == "i-1"  # no node name known: the instance stands for it
    assert result.timeline == (StageSeen(2, "", 0.0),)
    assert result.duration_s is None
    assert result.verification == VerificationReport("", "", 0.0, ())


def test_a_cleanup_result_reads_what_the_request_and_the_cleanup_wrote() -> None:
    requested = {"masters": [{"node_name": "m1", "instance_id": "i-1", "charge_type": "PostPaid", "ready": "Unknown"}]}
    done = {**requested, "nodes_deleted": ["m1"], "instances_released": ["i-1"], "instances_gone": [],
            "needs_console": [{"node_name": "m2", "instance_id": "i-2", "charge_type": "PrePaid"}], "still_billed": []}

    before, after = CleanupResult.from_dict(requested), CleanupResult.from_dict(done)

    assert before.masters == (OldMaster("i-1", "m1", "PostPaid", "Unknown"),) and before.nodes_deleted == ()
    assert after.nodes_deleted == ("m1",) and after.instances_released == ("i-1",)
    assert after.needs_console == (OldMaster("i-2", "m2", "PrePaid"),)
    assert CleanupResult.from_dict(after.to_dict()) == after
    assert before.to_dict() == requested


def test_writing_one_field_leaves_the_others_as_they_were() -> None:
    check = CheckResult("nodes", "Nodes Ready", Outcome.FAIL, Severity.FAIL, "1 of 3 workers not Ready.")
    report = VerificationReport("c1", "prod", 30.0, (check,))
    stored = {"baseline": STORED_MIGRATION["baseline"], "timeline": STORED_MIGRATION["timeline"]}

    written = replace(MigrationResult.from_dict(stored), verification=report).to_dict()

    assert written["baseline"] == stored["baseline"] and written["timeline"] == stored["timeline"]
    assert written["verification"]["verified"] is False
