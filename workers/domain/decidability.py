"""Whether a request can still be approved or rejected, and if not, why: the rule, with no words.

The bot refuses a click with the reason's wording (`workers.ui.private_answers.not_decidable`) and a
refusal code derived from the reason (`Undecidable.lapsed`), both from this one rule.
"""

from __future__ import annotations

from enum import StrEnum

from workers.domain.records import Record, State


class Undecidable(StrEnum):
    """Why a request cannot be decided any more."""

    LAPSED = "lapsed"  # still awaiting approval, but past its expiry: the reconciler has not got to it yet
    EXPIRED = "expired"
    APPROVED = "approved"  # approved, and anything after it (running, done, failed after the approval)
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    BLOCKED = "blocked"  # a blocking precheck failed: there is nothing to approve
    FAILED = "failed"  # failed before anyone decided
    CHECKING = "checking"  # the prechecks are still running

    @property
    def expired(self) -> bool:
        """Nobody decided in time (a click on a lapsed request also expires it)."""
        return self in (Undecidable.LAPSED, Undecidable.EXPIRED)


_APPROVED_STATES = (State.APPROVED, State.MIGRATING, State.RUNNING, State.SUCCEEDED, State.DONE)


def why_not_decidable(record: Record, now: float) -> Undecidable | None:
    """Why `record` cannot be approved or rejected any more, or None while it can."""
    state = record.state
    if state is State.AWAITING_APPROVAL:
        lapsed = record.expires_at is not None and record.expires_at <= now
        return Undecidable.LAPSED if lapsed else None
    if state in _APPROVED_STATES or (state is State.FAILED and record.decided_by):
        return Undecidable.APPROVED
    return {
        State.REJECTED: Undecidable.REJECTED,
        State.CANCELLED: Undecidable.CANCELLED,
        State.EXPIRED: Undecidable.EXPIRED,
        State.BLOCKED: Undecidable.BLOCKED,
        State.FAILED: Undecidable.FAILED,
    }.get(state, Undecidable.CHECKING)
