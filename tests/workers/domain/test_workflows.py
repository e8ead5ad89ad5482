"""Each workflow's declaration: its moves, its ends, its jobs and buttons, and that nothing is shared by
accident (two kinds with one action id or one id prefix would route a click or a record to the wrong one)."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest

from workers.domain.jobs import JOB_MODULE, Job
from workers.domain.records import Kind, Record, State
from workers.domain.states import TERMINAL
from workers.domain.workflows import CLEANUP, MIGRATION, WORKFLOWS, Workflow, workflow_by_action, workflow_of
from workers.queues import ALL_QUEUES, route_of


def _walk(workflow: Workflow, path: list[State]) -> bool:
    return all(workflow.allows(a, b) for a, b in zip(path, path[1:], strict=False))


def test_every_kind_has_exactly_one_workflow() -> None:
    assert {workflow.kind for workflow in WORKFLOWS} == set(Kind)
    assert all(workflow_of(workflow.kind) is workflow for workflow in WORKFLOWS)


def test_the_migration_goes_through_its_prechecks_and_the_cloud_to_succeeded() -> None:
    assert _walk(MIGRATION, [State.REQUESTED, State.PRECHECKING, State.AWAITING_APPROVAL, State.APPROVED,
                             MIGRATION.in_cloud, MIGRATION.succeeded])
    assert (MIGRATION.in_cloud, MIGRATION.succeeded) == (State.MIGRATING, State.SUCCEEDED)
    assert MIGRATION.allows(State.AWAITING_APPROVAL, State.BLOCKED)  # a re-check at approval blocks it


def test_the_cleanup_has_no_prechecking_and_runs_to_done() -> None:
    assert _walk(CLEANUP, [State.REQUESTED, State.AWAITING_APPROVAL, State.APPROVED, CLEANUP.in_cloud,
                           CLEANUP.succeeded])
    assert (CLEANUP.in_cloud, CLEANUP.succeeded) == (State.RUNNING, State.DONE)
    assert State.PRECHECKING not in CLEANUP.states
    assert not CLEANUP.allows(State.APPROVED, State.MIGRATING)


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: str(w.kind))
def test_every_workflow_ends_only_in_terminal_states_and_never_leaves_them(workflow: Workflow) -> None:
    ends = workflow.states - set(workflow.transitions)
    assert ends <= TERMINAL
    assert workflow.succeeded in ends and State.FAILED in ends
    assert not any(workflow.allows(end, wanted) for end in TERMINAL for wanted in State)


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: str(w.kind))
def test_a_request_can_be_cancelled_only_before_the_cloud_is_touched(workflow: Workflow) -> None:
    assert workflow.cancellable <= workflow.states
    assert all(workflow.allows(state, State.CANCELLED) for state in workflow.cancellable)
    assert not workflow.may_cancel(State.APPROVED) and not workflow.may_cancel(workflow.in_cloud)


def test_kinds_do_not_share_buttons_commands_or_id_prefixes() -> None:
    actions = [a for w in WORKFLOWS for a in (w.approve_action, w.reject_action)]
    assert len(set(actions)) == len(actions)
    assert len({w.command for w in WORKFLOWS}) == len({w.id_prefix for w in WORKFLOWS}) == len(WORKFLOWS)
    assert all(workflow_by_action(w.approve_action) is w and workflow_by_action(w.reject_action) is w
               for w in WORKFLOWS)


def test_the_button_ids_and_command_words_are_the_published_ones() -> None:
    assert (MIGRATION.approve_action, MIGRATION.reject_action) == ("approve_migration", "reject_migration")
    assert (CLEANUP.approve_action, CLEANUP.reject_action) == ("approve_cleanup", "reject_cleanup")
    assert (MIGRATION.command, CLEANUP.command) == ("migrate", "cleanup")


def test_a_record_knows_its_workflow_and_its_id_tells_the_kind() -> None:
    record = Record(id=CLEANUP.new_record_id(), kind=Kind.CLEANUP, cluster_id="c1", cluster_name="prod",
                    region="cn-hangzhou", requester="U1", channel="C1")
    assert record.workflow is CLEANUP
    assert record.id.startswith("c-") and MIGRATION.new_record_id().startswith("m-")


def test_each_workflow_reads_its_own_approvals_setting() -> None:
    settings = SimpleNamespace(approvals_required=2, cleanup_approvals_required=1)
    assert (MIGRATION.approvals_required(settings), CLEANUP.approvals_required(settings)) == (2, 1)


def test_a_lost_job_is_resumed_by_the_start_job_until_the_cloud_may_have_been_called() -> None:
    assert MIGRATION.resume_job(State.APPROVED, cloud_called=False) is Job.RUN_MIGRATION
    assert MIGRATION.resume_job(State.APPROVED, cloud_called=True) is Job.FOLLOW_MIGRATION
    assert MIGRATION.resume_job(State.MIGRATING, cloud_called=True) is Job.FOLLOW_MIGRATION
    assert CLEANUP.resume_job(State.RUNNING, cloud_called=False) is Job.RUN_CLEANUP


def test_every_job_name_is_a_function_of_the_job_module() -> None:
    module = importlib.import_module(JOB_MODULE)
    missing = [job for job in Job if not callable(getattr(module, job.value, None))]
    assert missing == []
    assert Job.RUN_MIGRATION.path == "workers.jobs.run_migration"


def test_every_job_is_routed_to_a_queue_a_worker_listens_on() -> None:
    unrouted = [job for job in Job if route_of(job).queue not in ALL_QUEUES]  # KeyError: no route at all
    assert unrouted == []
