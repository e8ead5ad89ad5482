"""A request's record: what was asked, by whom, and where it stands — the one source of truth.

Every migration and every cleanup is one `Record`, stored in Redis by `workers.store.RecordStore`. The
Slack messages are drawn from it (never the other way round), so whatever happens to Slack, the record
says what is true. This module is pure: the state machine and the data, no Redis, no Slack.

Each kind's states and allowed transitions are declared by its workflow (`workers.domain.workflows`);
a record asks its own (`record.workflow`), and the store refuses a transition the workflow does not list.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any, TypeVar

from workers.checks.model import PrecheckReport
from workers.domain.results import CleanupResult, MigrationResult, RequestResult
from workers.domain.states import TERMINAL, Kind, State
from workers.domain.workflows import Workflow, workflow_of

__all__ = ["TERMINAL", "Approval", "IllegalTransition", "Kind", "Record", "State", "Workflow",
           "allowed", "check_transition", "new_record_id"]



_R = TypeVar("_R", bound=RequestResult)


def _typed(record: Record, wanted: type[_R]) -> _R:
    if record.result is None:
        if record.workflow.result_type is not wanted:
            raise TypeError(f"{record.kind} request {record.id} has no {wanted.__name__}")
        return wanted()
    if not isinstance(record.result, wanted):
        raise TypeError(f"{record.kind} request {record.id} holds a {type(record.result).__name__}, "
                        f"not a {wanted.__name__}")
    return record.result


class IllegalTransition(Exception):
    """A transition the state machine does not allow (the record is left as it was)."""

    def __init__(self, record_id: str, kind: Kind, current: State, wanted: State) -> None:
        self.record_id = record_id
        self.kind = kind
        self.current = current
        self.wanted = wanted
        super().__init__(f"{kind} request {record_id} is {current}; it cannot become {wanted}")


def allowed(kind: Kind, current: State, wanted: State) -> bool:
    return workflow_of(kind).allows(current, wanted)


def check_transition(record: Record, wanted: State) -> None:
    if not allowed(record.kind, record.state, wanted):
        raise IllegalTransition(record.id, record.kind, record.state, wanted)


def new_record_id(kind: Kind) -> str:
    """Short, unguessable, and telling the kind at a glance (`m-…` migration, `c-…` cleanup)."""
    return workflow_of(kind).new_record_id()


@dataclass(frozen=True)
class Approval:
    """One approver's yes: who, and when. A request needs `approvals_required` distinct ones."""

    user: str  # Slack user id
    at: float


@dataclass
class Record:
    """One request and everything learnt while carrying it out.

    Times are Unix epoch seconds. `migrate_called_at` is the exactly-once fence: it is saved *before*
    MigrateCluster is called, so a worker that finds it set without a `task_id` knows the call may have
    happened and must look for the task (DescribeClusterTasks) instead of calling again.
    """

    id: str
    kind: Kind
    cluster_id: str
    cluster_name: str
    region: str
    requester: str  # Slack user id
    channel: str  # Slack channel id
    state: State = State.REQUESTED
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    expires_at: float | None = None  # when an undecided approval request lapses
    bucket: str | None = None
    release_ecs: bool = False  # cleanup only: also release the master ECS instances
    parent_id: str | None = None  # cleanup only: the migration it follows
    cluster_version: str | None = None
    message_ts: str | None = None  # the request message in the channel; its thread carries the updates
    response_url: str | None = None  # private follow-ups to the requester (valid 30 minutes)
    decided_by: str | None = None  # who approved (the last of the approvers needed) or rejected
    approvals: list[Approval] = field(default_factory=list)  # distinct approvers so far, in order
    approvals_required: int = 1  # fixed when the request is opened, so a settings change cannot move it
    decided_at: float | None = None
    reason: str | None = None  # why it ended the way it did, in words a person can act on
    precheck: PrecheckReport | None = None  # the last run's findings (None: not prechecked, e.g. a cleanup)
    migrate_called_at: float | None = None
    task_id: str | None = None
    stage: int = 0  # the stage the task is in as last seen (1-based, "stage 3/5"), 0 before it starts
    stage_total: int = 0
    stage_name: str | None = None
    started_at: float | None = None  # the cloud work began (MigrateCluster / node removal accepted)
    finished_at: float | None = None
    result: RequestResult | None = None  # what it found and did, typed by its workflow; None: nothing yet
    account: str | None = None  # the fleet account's alias (ACKMIGRATE_ACCOUNTS); None: the bot's own credentials
    wave: str | None = None  # the wave this migration belongs to (approved by the wave; its message has no buttons)
    version: int = 0  # bumped by every write; lets the store refuse a stale overwrite

    @property
    def workflow(self) -> Workflow:
        """What this kind of request may do, and how (workers.domain.workflows)."""
        return workflow_of(self.kind)

    @property
    def migration_result(self) -> MigrationResult:
        """A migration's result (empty before anything is learnt); a TypeError on any other kind's record,
        as reading a cleanup's result as a migration's would silently show nothing."""
        return _typed(self, MigrationResult)

    @property
    def cleanup_result(self) -> CleanupResult:
        """A cleanup's result (empty before anything is learnt); a TypeError on any other kind's record."""
        return _typed(self, CleanupResult)

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    @property
    def thread_ts(self) -> str | None:
        return self.message_ts

    @property
    def approvers(self) -> list[str]:
        return [approval.user for approval in self.approvals]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape stored in Redis: the same keys and shapes the untyped dicts had (`result` is `{}`
        when empty), so a release rolled back reads what this one wrote."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["kind"] = str(self.kind)
        data["state"] = str(self.state)
        data["approvals"] = [asdict(approval) for approval in self.approvals]
        data["precheck"] = None if self.precheck is None else self.precheck.to_dict()
        data["result"] = {} if self.result is None else self.result.to_dict()
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values["kind"] = Kind(values["kind"])
        values["state"] = State(values["state"])
        values["approvals"] = [Approval(user=str(a["user"]), at=float(a["at"])) for a in values.get("approvals") or []]
        precheck, result = values.get("precheck"), values.get("result")
        values["precheck"] = PrecheckReport.from_dict(precheck) if precheck else None
        values["result"] = workflow_of(values["kind"]).result_type.from_dict(result) if result else None
        return cls(**values)

    @classmethod
    def from_json(cls, text: str | bytes) -> Record:
        loaded: dict[str, Any] = json.loads(text)
        return cls.from_dict(loaded)
