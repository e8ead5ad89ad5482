"""The request state machine: what may follow what, and that records survive a round trip through JSON."""

from __future__ import annotations

import pytest

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


def test_record_round_trips_through_json() -> None:
    record = _record(state=State.AWAITING_APPROVAL)
    record.precheck = {"checks": [{"id": "version", "outcome": "pass"}]}
    record.result = {"masters": ["i-1", "i-2"]}
    again = Record.from_json(record.to_json())
    assert again == record
    assert again.state is State.AWAITING_APPROVAL and again.kind is Kind.MIGRATION


def test_record_ids_tell_the_kind_and_do_not_repeat() -> None:
    ids = {new_record_id(Kind.MIGRATION) for _ in range(200)}
    assert len(ids) == 200
    assert all(i.startswith("m-") for i in ids)
    assert new_record_id(Kind.CLEANUP).startswith("c-")
