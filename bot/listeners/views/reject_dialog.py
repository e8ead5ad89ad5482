"""The reject dialog's submission: the rejection is taken here, with the reason the approver typed.

The dialog closes at once (the ack); the decision follows in the lazy half. Whoever decided in the
meantime wins: a request approved while the dialog was open is not rejected, and the person is told.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.blocks import reject_dialog_errors, submitted_reason
from bot.metrics import DECISIONS
from bot.services import Services
from workers.domain.workflows import workflow_of
from workers.ui.modals import RejectContext


def close_dialog(ack: Ack, view: dict[str, Any]) -> None:
    """Close the dialog, or keep it open with the problem shown on its field (a reason too long)."""
    errors = reject_dialog_errors(view)
    if errors:
        ack(response_action="errors", errors=errors)
    else:
        ack()


def reject_with_reason(services: Services, body: dict[str, Any], client: WebClient) -> None:
    view = body["view"]
    if reject_dialog_errors(view):
        return  # the acknowledgement showed the problem on the field; nothing is decided
    context = RejectContext.from_metadata(view["private_metadata"])
    user = str(body["user"]["id"])
    outcome = services.approvals.reject(context.record_id, user=user, workflow=workflow_of(context.kind),
                                        reason=submitted_reason(view))
    if outcome.refusal is not None:  # already counted and audited (bot.approvals.refuse)
        client.chat_postEphemeral(channel=context.channel, user=user, text=outcome.refusal.text)
        return
    DECISIONS.labels("rejected").inc()
    if outcome.record is not None:
        services.refresh_message(outcome.record.id)
