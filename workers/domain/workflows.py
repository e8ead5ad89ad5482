"""Each workflow kind declared in one place: its states and moves, its command word, its jobs, its buttons.

Code that differs by kind asks the record's workflow (`record.workflow`, or `workflow_of(kind)`) instead
of branching on the kind: the runbook asks which job starts it, the reconciler which job resumes it,
the listeners which workflow a button belongs to, the requests which setting says how many approvals
it needs. Adding a kind (the wave is next) is one more `Workflow` here plus its jobs and its renderer;
nothing that only moves requests along needs to learn its name.

State machines (a transition not listed is refused, not applied):

    migration: requested → prechecking → awaiting_approval → approved → migrating → succeeded | failed
               (awaiting_approval → blocked when the prechecks re-run at an approval block)
    cleanup:   requested → awaiting_approval → approved → running → done | failed

Early ends: `blocked` (a blocking precheck failed, so there is nothing to approve), `rejected`,
`cancelled`, `expired` (nobody decided within the approval TTL), `failed` (an error before the cloud
was touched).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from workers.domain.jobs import Job
from workers.domain.results import CleanupResult, MigrationResult, RequestResult
from workers.domain.states import TERMINAL, Kind, State


@dataclass(frozen=True, eq=False)  # one instance per kind: identity is equality
class Workflow:
    """Everything that makes one kind of request what it is; the rest of the code asks, never branches."""

    kind: Kind
    command: str
    """The slash-command word that opens one (`/ackmigrate migrate …`): a public contract."""
    id_prefix: str
    """Record ids start `<prefix>-` so a person tells the kind at a glance (`m-…`, `c-…`)."""
    transitions: Mapping[State, frozenset[State]]
    cancellable: frozenset[State]
    """`cancel` withdraws a request only in these: before anything has been done to the cluster."""
    in_cloud: State
    """The cloud is (or may be) changing the cluster: the request must be followed to its end."""
    succeeded: State
    """Its successful end."""
    open_job: Job
    """Opens a request (resolve, lock, check, post) — queued by the command and the button."""
    start_job: Job
    """Starts the approved work; queued by the approval that completes it."""
    follow_job: Job | None
    """Follows work the cloud does on its own after the start (None: the start job sees it through)."""
    approve_action: str
    """The Approve button's Block Kit action_id: a public contract (ARCHITECTURE.md)."""
    reject_action: str
    """The Reject button's Block Kit action_id: a public contract."""
    approvals_setting: str
    """The `workers.config.Settings` field saying how many distinct approvers one request needs."""
    recheck_at_approval: bool
    """Re-run the prechecks before counting an approval (an approval is for what was checked)."""
    result_type: type[RequestResult]
    """What its records hold as `Record.result` (workers.domain.results): how a stored one is read back."""

    @property
    def states(self) -> frozenset[State]:
        """Every state a request of this kind can be in."""
        return frozenset(self.transitions) | frozenset().union(*self.transitions.values())

    def allows(self, current: State, wanted: State) -> bool:
        return wanted in self.transitions.get(current, frozenset())

    def may_cancel(self, state: State) -> bool:
        return state in self.cancellable

    def approvals_required(self, settings: object) -> int:
        """How many approvers a new request needs, read from the settings (fixed into the record then)."""
        return int(getattr(settings, self.approvals_setting))

    def resume_job(self, state: State, *, cloud_called: bool) -> Job:
        """The job that picks up a request whose job was lost: the start job until the cloud may have been
        called, the follow job after (the start job itself when there is none)."""
        if self.follow_job is None or (state is State.APPROVED and not cloud_called):
            return self.start_job
        return self.follow_job

    def new_record_id(self) -> str:
        """Short, unguessable, and telling the kind at a glance."""
        return f"{self.id_prefix}-{secrets.token_hex(6)}"


def _machine(moves: dict[State, frozenset[State]]) -> Mapping[State, frozenset[State]]:
    for ending in TERMINAL:
        if ending in moves:
            raise ValueError(f"{ending} is terminal: it cannot move on")
    return MappingProxyType(moves)


MIGRATION = Workflow(
    kind=Kind.MIGRATION,
    command="migrate",
    id_prefix="m",
    transitions=_machine({
        State.REQUESTED: frozenset({State.PRECHECKING, State.CANCELLED, State.FAILED}),
        State.PRECHECKING: frozenset({State.AWAITING_APPROVAL, State.BLOCKED, State.CANCELLED, State.FAILED}),
        # BLOCKED from awaiting approval: the prechecks re-run at an approval found a blocking failure.
        State.AWAITING_APPROVAL: frozenset({State.APPROVED, State.REJECTED, State.CANCELLED, State.EXPIRED,
                                            State.BLOCKED}),
        State.APPROVED: frozenset({State.MIGRATING, State.FAILED}),
        State.MIGRATING: frozenset({State.SUCCEEDED, State.FAILED}),
    }),
    cancellable=frozenset({State.REQUESTED, State.PRECHECKING, State.AWAITING_APPROVAL}),
    in_cloud=State.MIGRATING,
    succeeded=State.SUCCEEDED,
    open_job=Job.OPEN_MIGRATION_REQUEST,
    start_job=Job.RUN_MIGRATION,
    follow_job=Job.FOLLOW_MIGRATION,
    approve_action="approve_migration",
    reject_action="reject_migration",
    approvals_setting="approvals_required",
    recheck_at_approval=True,
    result_type=MigrationResult,
)

CLEANUP = Workflow(
    kind=Kind.CLEANUP,
    command="cleanup",
    id_prefix="c",
    transitions=_machine({
        State.REQUESTED: frozenset({State.AWAITING_APPROVAL, State.BLOCKED, State.CANCELLED, State.FAILED}),
        State.AWAITING_APPROVAL: frozenset({State.APPROVED, State.REJECTED, State.CANCELLED, State.EXPIRED}),
        State.APPROVED: frozenset({State.RUNNING, State.FAILED}),
        State.RUNNING: frozenset({State.DONE, State.FAILED}),
    }),
    cancellable=frozenset({State.REQUESTED, State.AWAITING_APPROVAL}),
    in_cloud=State.RUNNING,
    succeeded=State.DONE,
    open_job=Job.OPEN_CLEANUP_REQUEST,
    start_job=Job.RUN_CLEANUP,
    follow_job=None,
    approve_action="approve_cleanup",
    reject_action="reject_cleanup",
    approvals_setting="cleanup_approvals_required",
    recheck_at_approval=False,
    result_type=CleanupResult,
)

WORKFLOWS: tuple[Workflow, ...] = (MIGRATION, CLEANUP)

_BY_KIND: Mapping[Kind, Workflow] = MappingProxyType({workflow.kind: workflow for workflow in WORKFLOWS})


@dataclass(frozen=True, eq=False)
class WaveWorkflow:
    """The third kind of request: a wave of migrations (workers.domain.waves holds its states and moves).

    A wave is not a `Record` (it holds many clusters, each becoming its own migration record), so its
    states are `WaveState`s, not `State`s; everything else a workflow declares is here, in one place,
    the way `Workflow` declares it for a migration or a cleanup."""

    command: str
    """The slash-command word (`/ackmigrate wave create …`): a public contract."""
    open_job: Job
    """Resolves the patterns across the fleet, prechecks, ranks, creates the wave and posts its request."""
    start_job: Job
    """Looks at the wave and starts what may start (queued at the Nth approval and on every wave event)."""
    approve_action: str
    """The Approve button's Block Kit action_id: a public contract."""
    reject_action: str
    """The Reject button's Block Kit action_id: a public contract."""
    approvals_setting: str
    """The `workers.config.Settings` field saying how many distinct approvers a wave needs."""
    member_workflow: Workflow
    """Each cluster of a wave is carried out as one request of this workflow (approved by the wave)."""
    max_clusters: int
    """The most clusters one wave may hold (a server-side limit, with a clear error)."""

    def approvals_required(self, settings: object) -> int:
        return int(getattr(settings, self.approvals_setting))


WAVE = WaveWorkflow(
    command="wave",
    open_job=Job.OPEN_WAVE_REQUEST,
    start_job=Job.TICK_WAVE,
    approve_action="approve_wave",
    reject_action="reject_wave",
    approvals_setting="wave_approvals_required",
    member_workflow=MIGRATION,
    max_clusters=500,
)


def workflow_of(kind: Kind) -> Workflow:
    return _BY_KIND[kind]


def workflow_by_action(action_id: str) -> Workflow:
    """The workflow whose Approve or Reject button has this action_id (KeyError when none has)."""
    for workflow in WORKFLOWS:
        if action_id in (workflow.approve_action, workflow.reject_action):
            return workflow
    raise KeyError(action_id)


IN_CLOUD: frozenset[State] = frozenset(workflow.in_cloud for workflow in WORKFLOWS)
"""Any workflow's in-cloud state: the request must be followed to its end."""

NEEDS_A_JOB: frozenset[State] = frozenset({State.APPROVED}) | IN_CLOUD
"""Work was approved and may be under way: a job must be following it (the reconciler's list)."""
