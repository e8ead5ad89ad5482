"""Approve on a request of any workflow."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.listeners.actions.clicks import channel_of, click_of, clicker, request_id_of, told_refusal
from bot.metrics import DECISIONS
from bot.services import Services
from workers.domain.workflows import Workflow
from workers.ui import private_answers


def approve(services: Services, workflow: Workflow, body: dict[str, Any], client: WebClient) -> None:
    """Authorised here; counted by a worker once the cluster is re-checked (it says so in the thread)."""
    user, channel = clicker(body), channel_of(body)
    outcome = services.approvals.approve(request_id_of(body), user=user, workflow=workflow, click=click_of(body))
    if told_refusal(client, channel, user, outcome):
        return
    DECISIONS.labels("approved").inc()
    if outcome.record is not None:
        client.chat_postEphemeral(channel=channel, user=user, text=private_answers.approval_checking(outcome.record))
