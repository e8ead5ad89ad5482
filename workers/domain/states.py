"""The two vocabularies every workflow shares: which kind a request is, and the states it can be in.

They live apart from `records` and `workflows` so that both can import them without importing each
other: a workflow declares its states, and a record asks its workflow which moves are allowed.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """What a request is; stored in the record, and the key of `workflows.workflow_of`."""

    MIGRATION = "migration"
    CLEANUP = "cleanup"


class State(StrEnum):
    """Every state any workflow uses. Which ones a workflow uses, and how it moves between them, is
    declared by its `Workflow` (e.g. the migration's in-cloud state is MIGRATING, the cleanup's RUNNING)."""

    REQUESTED = "requested"
    PRECHECKING = "prechecking"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    MIGRATING = "migrating"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    DONE = "done"
    FAILED = "failed"
    BLOCKED = "blocked"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


TERMINAL: frozenset[State] = frozenset(
    {State.SUCCEEDED, State.DONE, State.FAILED, State.BLOCKED, State.REJECTED, State.CANCELLED, State.EXPIRED}
)
"""Once here, always here: a decided request stays decided (whatever its workflow)."""
