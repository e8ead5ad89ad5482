"""Reject on a request of any workflow: opens the reason dialog (bot.listeners.views.reject_dialog)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.limits import REASON_MAX_LENGTH
from bot.listeners.actions.clicks import channel_of, click_of, clicker, request_id_of, told_refusal
from bot.services import Services
from workers.domain.workflows import Workflow
from workers.ui.modals import reject_dialog


def open_reject_dialog(services: Services, workflow: Workflow, body: dict[str, Any], client: WebClient) -> None:
    """Ask for a reason first; the decision itself is taken when the dialog is submitted."""
    user, channel = clicker(body), channel_of(body)
    outcome = services.approvals.check_decidable(request_id_of(body), user=user, workflow=workflow,
                                                 approving=False, click=click_of(body))
    if told_refusal(client, channel, user, outcome) or outcome.record is None:
        return
    client.views_open(trigger_id=body["trigger_id"], view=reject_dialog(outcome.record, channel=channel,
                                                                       reason_max_length=REASON_MAX_LENGTH))
