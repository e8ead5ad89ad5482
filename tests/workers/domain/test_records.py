"""The request state machine: what may follow what, and that records survive a round trip through JSON."""

from __future__ import annotations

import json

import pytest

from workers.checks.model import CheckResult, MasterInstance, Outcome, PrecheckReport, Severity
from workers.domain.records import (
    TERMINAL,
    IllegalTransition,
    Kind,
    Record,
    State,
    allowed,
    check_transition,
    new_record_id,
)
from workers.domain.results import CleanupResult, Failure, MigrationResult, OldMaster


def _record(kind: Kind = Kind.MIGRATION, state: State = State.REQUESTED) -> Record:
    return Record(
        id=new_record_id(kind), kind=kind, cluster_id="c1", cluster_name="prod-hz-1",
        region="cn-hangzhou", requester="U0ALICE", channel="C0PLATFORM", state=state,
    )


def test_migration_happy_path_is_allowed_step_by_step() -> None:
    path = [State.REQUESTED, State.PRECHECKING, State.AWAITING_APPROVAL, State.APPROVED, State.MIGRATING,
            State.SUCCEEDED]
    assert all(allowed(Kind.MIGRATION, a, b) for a, b in zip(path, path[1:], strict=False))


def test_cleanup_happy_path_is_allowed_step_by_step() -> None:
    path = [State.REQUESTED, State.AWAITING_APPROVAL, State.APPROVED, State.RUNNING, State.DONE]
    assert all(allowed(Kind.CLEANUP, a, b) for a, b in zip(path, path[1:], strict=False))


def test_approval_cannot_skip_the_approval_step() -> None:
    assert not allowed(Kind.MIGRATION, State.PRECHECKING, State.APPROVED)
    assert not allowed(Kind.MIGRATION, State.REQUESTED, State.MIGRATING)


@pytest.mark.parametrize("end", sorted(TERMINAL))
def test_a_decided_request_stays_decided(end: State) -> None:
    for kind in Kind:
        assert not any(allowed(kind, end, wanted) for wanted in State)


def test_a_running_migration_cannot_be_cancelled() -> None:
    record = _record(state=State.MIGRATING)
    with pytest.raises(IllegalTransition) as refused:
        check_transition(record, State.CANCELLED)
    assert "is migrating; it cannot become cancelled" in str(refused.value)
    assert record.state is State.MIGRATING


def test_cleanup_states_are_not_migration_states() -> None:
    assert not allowed(Kind.CLEANUP, State.APPROVED, State.MIGRATING)
    assert not allowed(Kind.MIGRATION, State.APPROVED, State.RUNNING)


def _precheck() -> PrecheckReport:
    version = CheckResult(id="version", title="Version", outcome=Outcome.PASS, severity=Severity.FAIL,
                          summary="1.22.15-aliyun.1 can be migrated")
    return PrecheckReport(cluster_id="c82e6987e2961", cluster_name="prod-hz-1", region_id="cn-hangzhou",
                          current_version="1.22.15-aliyun.1", cluster_type="Kubernetes", cluster_spec="",
                          state="running", master_count=3, worker_count=2, bucket=None, bucket_endpoint=None,
                          masters=(MasterInstance("i-1", "cn-hangzhou.10.0.0.1", "PostPaid"),), checks=(version,))


def test_record_round_trips_through_json() -> None:
    record = _record(state=State.SUCCEEDED)
    record.precheck = _precheck()
    record.result = MigrationResult(cluster_spec="ack.pro.small", masters=(OldMaster("i-1", "cn-hangzhou.10.0.0.1"),),
                                    failure=Failure(request_id="4A1F"))
    again = Record.from_json(record.to_json())
    assert again == record
    assert again.state is State.SUCCEEDED and again.kind is Kind.MIGRATION
    assert again.migration_result.masters[0].instance_id == "i-1"


def test_a_record_stored_by_the_untyped_release_still_loads_typed() -> None:
    """Records already in Redis were written when `result` and `precheck` were plain dicts: they load typed,
    keep what this release does not know, and a cleanup's result is read as a cleanup's."""
    stored = {
        "id": "m-0123456789ab", "kind": "migration", "cluster_id": "c82e6987e2961", "cluster_name": "prod-hz-1",
        "region": "cn-hangzhou", "requester": "U0ALICE", "channel": "C0PLATFORM", "state": "succeeded",
        "created_at": 1.0, "updated_at": 2.0, "approvals": [{"user": "U0BOB", "at": 1.5}],
        "precheck": _precheck().to_dict(),
        "result": {"cluster_spec": "ack.pro.small", "duration_s": 1500, "cleanup_id": "c-1",
                   "masters": [{"instance_id": "i-1", "node_name": "n1", "charge_type": "PostPaid", "ready": "Unknown"}],
                   "cluster_state": "running", "from_a_newer_release": {"kept": True}},
        "a_field_this_release_dropped": 3,
    }
    record = Record.from_json(json.dumps(stored))

    assert record.precheck == _precheck()
    result = record.migration_result
    assert (result.cluster_spec, result.duration_s, result.cleanup_id) == ("ack.pro.small", 1500, "c-1")
    assert result.masters == (OldMaster("i-1", "n1", "PostPaid", "Unknown"),)
    assert result.failure.cluster_state == "running"
    assert json.loads(record.to_json())["result"] == stored["result"], "nothing is lost on the way back"

    empty = Record.from_json(json.dumps({**stored, "id": "c-0123456789ab", "kind": "cleanup", "state": "done",
                                         "precheck": None, "result": {}}))
    assert empty.precheck is None and empty.result is None
    assert empty.cleanup_result == CleanupResult() and empty.cleanup_result.masters is None
    with pytest.raises(TypeError):
        _ = empty.migration_result  # a cleanup's result is never read as a migration's


def test_record_ids_tell_the_kind_and_do_not_repeat() -> None:
    ids = {new_record_id(Kind.MIGRATION) for _ in range(200)}
    assert len(ids) == 200
    assert all(i.startswith("m-") for i in ids)
    assert new_record_id(Kind.CLEANUP).startswith("c-")
