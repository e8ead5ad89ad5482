"""Reading the reject dialogs back (a request's, a wave's): the reason typed, and the field errors a
submission gets.

The dialogs themselves (their views, words and ids) are drawn by `workers.ui.modals`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.limits import REASON_MAX_LENGTH
from workers.ui import ids, modals
from workers.ui.modals import RejectContext, WaveRejectContext


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
    return _reason_errors(view, RejectContext.from_metadata)


def wave_reject_dialog_errors(view: dict[str, Any]) -> dict[str, str]:
    """The same for the wave's reject dialog: the same field, the same limit, its own metadata."""
    return _reason_errors(view, WaveRejectContext.from_metadata)


def _reason_errors(view: dict[str, Any], context_of: Callable[[str], object]) -> dict[str, str]:
    try:
        context_of(str(view.get("private_metadata") or ""))
        reason = submitted_reason(view)
    except (ValueError, AttributeError):
        return {ids.REASON_BLOCK_ID: modals.DIALOG_NOT_OURS}
    if reason is not None and len(reason) > REASON_MAX_LENGTH:
        return {ids.REASON_BLOCK_ID: modals.reason_too_long(REASON_MAX_LENGTH, len(reason))}
    return {}
