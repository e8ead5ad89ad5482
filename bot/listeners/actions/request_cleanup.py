""""Clean up old masters" on a finished migration: opens a cleanup request for the same cluster, the same
way `/ackmigrate cleanup CLUSTER` does (bot.approvals → workers.lifecycle)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.listeners.actions.clicks import channel_of, click_of, clicker, request_id_of, told_refusal
from bot.services import Services
from workers.ui import private_answers


def request_cleanup(services: Services, body: dict[str, Any], client: WebClient) -> None:
    user, channel = clicker(body), channel_of(body)
    outcome = services.approvals.request_cleanup_of(
        request_id_of(body), user=user, channel=channel, click=click_of(body), response_url=body.get("response_url"))
    if told_refusal(client, channel, user, outcome) or outcome.record is None:
        return
    client.chat_postEphemeral(channel=channel, user=user, text=private_answers.cleanup_requested_for(outcome.record))
