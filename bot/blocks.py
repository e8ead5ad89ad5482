"""Reading the reject dialog back: the reason typed, and the field errors a submission gets.

The dialog itself (its view, its words, its ids) is drawn by `workers.ui.modals`.
"""

from __future__ import annotations

from typing import Any

from bot.limits import REASON_MAX_LENGTH
from workers.ui import ids, modals
from workers.ui.modals import RejectContext


def submitted_reason(view: dict[str, Any]) -> str | None:
    """The reason typed in the dialog, or None when left empty."""
    values = (view.get("state") or {}).get("values") or {}
    value = ((values.get(ids.REASON_BLOCK_ID) or {}).get(ids.REASON_ACTION_ID) or {}).get("value")
    text = str(value).strip() if value else ""
    return text or None


def reject_dialog_errors(view: dict[str, Any]) -> dict[str, str]:
    """Field errors for a submitted reject dialog (`response_action: errors`), empty when it is acceptable.

    The dialog's `max_length` holds only in Slack's own clients; a crafted submission can carry any
    length, so the limit is checked here and a longer reason is never stored or posted.
    """
    try:
        RejectContext.from_metadata(str(view.get("private_metadata") or ""))
        reason = submitted_reason(view)
    except (ValueError, AttributeError):
        return {ids.REASON_BLOCK_ID: modals.DIALOG_NOT_OURS}
    if reason is not None and len(reason) > REASON_MAX_LENGTH:
        return {ids.REASON_BLOCK_ID: modals.reason_too_long(REASON_MAX_LENGTH, len(reason))}
    return {}
