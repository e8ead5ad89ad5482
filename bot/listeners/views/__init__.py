"""The reject dialog's submission: the rejection is taken here, with the reason the approver typed.

The dialog closes at once (the ack); the decision follows in the lazy half. Whoever decided in the
meantime wins: a request approved while the dialog was open is not rejected, and the person is told.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.blocks import reject_dialog_errors, submitted_reason
from bot.errors import tell_user_on_error
from bot.listeners.views.migration_form import MigrationForm
from bot.metrics import DECISIONS, REFUSALS
from bot.services import Services
from workers.ui.ids import FORM_CALLBACK_ID, REJECT_CALLBACK_ID
from workers.ui.modals import RejectContext


def register(app: App, services: Services) -> None:
    dialogs = Dialogs(services)
    app.view(REJECT_CALLBACK_ID)(ack=close_dialog, lazy=[dialogs.reject_with_reason])
    form = MigrationForm(services)
    app.view(FORM_CALLBACK_ID)(ack=form.check, lazy=[form.run])


def close_dialog(ack: Ack, view: dict[str, Any]) -> None:
    """Close the dialog, or keep it open with the problem shown on its field (a reason too long)."""
    errors = reject_dialog_errors(view)
    if errors:
        ack(response_action="errors", errors=errors)
    else:
        ack()


class Dialogs:
    def __init__(self, services: Services) -> None:
        self.services = services

    @tell_user_on_error
    def reject_with_reason(self, body: dict[str, Any], client: WebClient) -> None:
        view = body["view"]
        if reject_dialog_errors(view):
            return  # the acknowledgement showed the problem on the field; nothing is decided
        context = RejectContext.from_metadata(view["private_metadata"])
        user = str(body["user"]["id"])
        outcome = self.services.approvals.reject(
            context.record_id, user=user, kind=context.kind, reason=submitted_reason(view)
        )
        if outcome.refusal is not None:
            REFUSALS.labels(str(outcome.refusal.code)).inc()
            client.chat_postEphemeral(channel=context.channel, user=user, text=outcome.refusal.text)
            return
        DECISIONS.labels("rejected").inc()
        if outcome.record is not None:
            self.services.refresh_message(outcome.record.id)
