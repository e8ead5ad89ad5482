"""The words that vary by state and by workflow, as tables: one entry per workflow, not a branch per text.

`wording(record)` gives a workflow's nouns, headers and what to expect. What a workflow *is* (its command
word, its button ids, its states) is the domain's (`record.workflow`); how it is spoken of is here. A new
workflow adds one `Wording` to `WORDING`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from workers.domain.records import Record, State
from workers.domain.workflows import CLEANUP, MIGRATION, Workflow

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


def readiness(readiness: str, blocking: Sequence[str] = (), could_not_run: Sequence[str] = (),
              reason: str = "") -> str:
    """One listed cluster's readiness (workers.listing) in a word, the same in Slack and the terminal:
    `ready`, `blocked: slb-spec, master-pods (could not run)`, `unknown (Throttling)`, a request's state."""
    if readiness == "blocked":
        return "blocked: " + ", ".join(f"{check} (could not run)" if check in could_not_run else check
                                       for check in blocking)
    if readiness == "unknown" and reason:
        return f"unknown ({reason})"
    return readiness


@dataclass(frozen=True)
class Wording:
    """How one workflow is spoken of."""

    noun: str  # "migration": "the migration request for …"
    title: str  # "Migration": the start of a sentence
    headers: dict[State, str]  # the request message's header, by state
    default_header: str
    subject: str  # what follows the header's " — ": "{name} → ACK Pro"
    expectations: str  # shown before approval: what happens, and that it cannot be undone
    confirm_title: str  # the Approve button's confirm dialog
    waiting: str  # in flight before the first stage is known
    status_tag: str  # said after the cluster's name in `/ackmigrate status` ("" for the common case)
    follow_up: Workflow | None  # what a success offers to ask for next (a migration: the cleanup)


WORDING: dict[Workflow, Wording] = {
    MIGRATION: Wording(
        noun="migration", title="Migration",
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
        status_tag="",
        follow_up=CLEANUP,
    ),
    CLEANUP: Wording(
        noun="cleanup", title="Cleanup",
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
        status_tag="cleanup",
        follow_up=None,
    ),
}


def wording(record: Record) -> Wording:
    """How the record's workflow is spoken of."""
    return WORDING[record.workflow]

CHARGE_WORDS = {"PostPaid": "pay-as-you-go", "PrePaid": "subscription"}
"""ECS InstanceChargeType in words."""


def charge_words(charge_type: str) -> str:
    return CHARGE_WORDS.get(charge_type, charge_type or "unknown billing")


def state_words(state: State) -> str:
    """"awaiting approval": a state as a sentence says it."""
    return str(state).replace("_", " ")
