"""Reject on a wave request (`reject_wave`): one rejection ends the wave request, however many approvals."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.listeners.actions.clicks import channel_of, click_of, clicker, request_id_of
from bot.metrics import DECISIONS
from bot.services import Services


def reject_wave(services: Services, body: dict[str, Any], client: WebClient) -> None:
    user, channel = clicker(body), channel_of(body)
    outcome = services.waves.reject(request_id_of(body), user=user, click=click_of(body))
    if outcome.allowed:
        DECISIONS.labels("rejected").inc()
    client.chat_postEphemeral(channel=channel, user=user,
                              text=outcome.refusal.text if outcome.refusal is not None else outcome.text)
