"""Approve on a wave request (`approve_wave`; the button's value is the wave's name).

The approval is counted at once (the WaveStore's compare-and-set) and the Nth approval's tick starts the
first clusters. The clicker is told privately what happened, or why nothing did. Reject on a wave asks for
a reason first (bot.listeners.actions.reject_wave).
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.listeners.actions.clicks import channel_of, click_of, clicker, request_id_of
from bot.metrics import DECISIONS
from bot.services import Services


def approve_wave(services: Services, body: dict[str, Any], client: WebClient) -> None:
    user, channel = clicker(body), channel_of(body)
    outcome = services.waves.approve(request_id_of(body), user=user, click=click_of(body))
    if outcome.allowed:
        DECISIONS.labels("approved").inc()
    client.chat_postEphemeral(channel=channel, user=user,
                              text=outcome.refusal.text if outcome.refusal is not None else outcome.text)
