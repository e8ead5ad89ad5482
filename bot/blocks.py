"""Block Kit the bot itself shows: the reject dialog. Built with slack_sdk.models, pure and small.

The request message and the status views are drawn by workers.messages from the record, because the
workers re-render them; the bot only owns what exists between a click and a decision.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import InputBlock, PlainTextInputElement, SectionBlock
from slack_sdk.models.views import View

from bot.limits import REASON_MAX_LENGTH
from workers.domain.records import Kind, Record
from workers.mrkdwn import code

REJECT_CALLBACK_ID = "reject_reason"
REASON_BLOCK_ID = "reason"
REASON_ACTION_ID = "reason_input"


@dataclass(frozen=True)
class RejectContext:
    """What the dialog carries to its submission (Slack hands `private_metadata` back unchanged)."""

    record_id: str
    kind: Kind
    channel: str

    def to_metadata(self) -> str:
        return json.dumps({"record_id": self.record_id, "kind": str(self.kind), "channel": self.channel})

    @classmethod
    def from_metadata(cls, text: str) -> RejectContext:
        """Raises ValueError for metadata this dialog never carries (a crafted submission)."""
        try:
            data = json.loads(text)
            return cls(record_id=str(data["record_id"]), kind=Kind(data["kind"]), channel=str(data["channel"]))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"not a reject dialog's metadata ({type(error).__name__})") from None


def reject_dialog(record: Record, *, channel: str) -> dict[str, Any]:
    """Asks for an optional reason, which goes in the thread so the requester knows what to fix."""
    what = "migration" if record.kind is Kind.MIGRATION else "cleanup"
    view = View(
        type="modal",
        callback_id=REJECT_CALLBACK_ID,
        title=f"Reject {what}",
        submit="Reject",
        close="Cancel",
        private_metadata=RejectContext(record.id, record.kind, channel).to_metadata(),
        blocks=[
            SectionBlock(text=f"Reject the {what} request for {code(record.cluster_name)} by <@{record.requester}>?"),
            InputBlock(
                block_id=REASON_BLOCK_ID,
                label="Reason (shown in the request's thread)",
                optional=True,
                element=PlainTextInputElement(
                    action_id=REASON_ACTION_ID, multiline=True, max_length=REASON_MAX_LENGTH,
                    placeholder="e.g. wait until after the release freeze",
                ),
            ),
        ],
    )
    shown: dict[str, Any] = view.to_dict()
    return shown


def submitted_reason(view: dict[str, Any]) -> str | None:
    """The reason typed in the dialog, or None when left empty."""
    values = (view.get("state") or {}).get("values") or {}
    value = ((values.get(REASON_BLOCK_ID) or {}).get(REASON_ACTION_ID) or {}).get("value")
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
        return {REASON_BLOCK_ID: "This dialog was not opened by ackmigrate; click Reject on the request again."}
    if reason is not None and len(reason) > REASON_MAX_LENGTH:
        return {REASON_BLOCK_ID: f"Keep the reason to {REASON_MAX_LENGTH} characters (it has {len(reason)})."}
    return {}
