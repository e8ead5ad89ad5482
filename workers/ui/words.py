"""The words that vary by state and by workflow, as tables: one entry per workflow, not a branch per text.

`WORDING[record.kind]` gives a workflow's nouns, its command word, its headers and what to expect. When
`workers.domain.workflows` lands, the table is keyed by the workflow and the command word and button ids
are read from it; the wording itself stays here.
"""

from __future__ import annotations

from dataclasses import dataclass

from workers.domain.records import Kind, State
from workers.ui import ids

STATE_ICON = {
    State.REQUESTED: "🕐", State.PRECHECKING: "🔎", State.AWAITING_APPROVAL: "⏳", State.APPROVED: "👍",
    State.MIGRATING: "🚚", State.RUNNING: "🧹", State.SUCCEEDED: "✅", State.DONE: "✅", State.FAILED: "❌",
    State.BLOCKED: "⛔", State.REJECTED: "🚫", State.CANCELLED: "↩️", State.EXPIRED: "⌛",
}
STATE_WORDS = {
    State.REQUESTED: "requested", State.PRECHECKING: "running prechecks",
    State.AWAITING_APPROVAL: "awaiting approval", State.APPROVED: "approved, queued",
    State.MIGRATING: "migrating", State.RUNNING: "deleting old masters", State.SUCCEEDED: "succeeded",
    State.DONE: "done", State.FAILED: "failed", State.BLOCKED: "blocked by prechecks",
    State.REJECTED: "rejected", State.CANCELLED: "cancelled", State.EXPIRED: "expired",
}


@dataclass(frozen=True)
class Wording:
    """How one workflow is spoken of."""

    noun: str  # "migration": "the migration request for …"
    title: str  # "Migration": the start of a sentence
    command: str  # the slash subcommand that asks again: `/ackmigrate migrate`
    headers: dict[State, str]  # the request message's header, by state
    default_header: str
    subject: str  # what follows the header's " — ": "{name} → ACK Pro"
    expectations: str  # shown before approval: what happens, and that it cannot be undone
    confirm_title: str  # the Approve button's confirm dialog
    waiting: str  # in flight before the first stage is known
    approve_id: str
    reject_id: str


WORDING: dict[Kind, Wording] = {
    Kind.MIGRATION: Wording(
        noun="migration", title="Migration", command="migrate",
        headers={
            State.AWAITING_APPROVAL: "Migration request", State.PRECHECKING: "Migration request — checking",
            State.BLOCKED: "Migration blocked", State.APPROVED: "Migration approved",
            State.MIGRATING: "Migrating", State.SUCCEEDED: "Migrated", State.FAILED: "Migration failed",
            State.REJECTED: "Migration rejected", State.CANCELLED: "Migration cancelled",
            State.EXPIRED: "Migration request expired",
        },
        default_header="Migration request",
        subject="{name} → ACK Pro",
        expectations=(
            "*What to expect:* about 10–15 minutes; the API server is unavailable for 5–10 of them; the SLB "
            "address does not change. *This cannot be rolled back.* The old master ECS instances are not "
            "deleted: they keep running (and billing) until cleanup."
        ),
        confirm_title="Approve the migration?",
        waiting="Waiting for ACK to start the task",
        approve_id=ids.APPROVE_MIGRATION, reject_id=ids.REJECT_MIGRATION,
    ),
    Kind.CLEANUP: Wording(
        noun="cleanup", title="Cleanup", command="cleanup",
        headers={
            State.AWAITING_APPROVAL: "Cleanup request", State.BLOCKED: "Cleanup blocked",
            State.APPROVED: "Cleanup approved", State.RUNNING: "Cleaning up", State.DONE: "Cleaned up",
            State.FAILED: "Cleanup failed", State.REJECTED: "Cleanup rejected",
            State.CANCELLED: "Cleanup cancelled", State.EXPIRED: "Cleanup request expired",
        },
        default_header="Cleanup request",
        subject="old masters of {name}",
        expectations=(
            "*What happens:* the old master nodes are deleted from Kubernetes (the `kubectl delete node` step). "
            "They are already out of the cluster (Unknown) since the migration. *This cannot be undone.*"
        ),
        confirm_title="Approve the cleanup?",
        waiting="Starting",
        approve_id=ids.APPROVE_CLEANUP, reject_id=ids.REJECT_CLEANUP,
    ),
}

CHARGE_WORDS = {"PostPaid": "pay-as-you-go", "PrePaid": "subscription"}
"""ECS InstanceChargeType in words."""


def charge_words(charge_type: str) -> str:
    return CHARGE_WORDS.get(charge_type, charge_type or "unknown billing")


def state_words(state: State) -> str:
    """"awaiting approval": a state as a sentence says it."""
    return str(state).replace("_", " ")
