"""Approve on a migration or cleanup request."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.listeners.actions.clicks import channel_of, click_of, clicker, request_id_of, tell
from bot.services import Services
from workers.domain.records import Kind
from workers.ui import private_answers


def approve(services: Services, kind: Kind, body: dict[str, Any], client: WebClient) -> None:
    """Authorised here; counted by a worker once the cluster is re-checked (it says so in the thread)."""
    user, channel = clicker(body), channel_of(body)
    outcome = services.approvals.approve(request_id_of(body), user=user, kind=kind, click=click_of(body))
    tell(client, channel, user, outcome, decision="approved")
    if outcome.allowed and outcome.record is not None:
        client.chat_postEphemeral(channel=channel, user=user, text=private_answers.approval_checking(outcome.record))
