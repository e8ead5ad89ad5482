"""Approve or Reject on a wave request (`approve_wave` / `reject_wave`; the button's value is the wave's name).

Approve is counted at once (the WaveStore's compare-and-set) and the Nth approval's tick starts the first
clusters; one Reject ends the wave request, however many approvals it had. Either way the clicker is told
privately what happened, or why nothing did.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from slack_sdk import WebClient

from bot.listeners.actions.clicks import channel_of, click_of, clicker, request_id_of
from bot.metrics import DECISIONS
from bot.services import Services


class WaveDecision(StrEnum):
    """Which button: also the decisions metric's label."""

    APPROVED = "approved"
    REJECTED = "rejected"


def decide_wave(services: Services, decision: WaveDecision, body: dict[str, Any], client: WebClient) -> None:
    user, channel = clicker(body), channel_of(body)
    decide = services.waves.approve if decision is WaveDecision.APPROVED else services.waves.reject
    outcome = decide(request_id_of(body), user=user, click=click_of(body))
    if outcome.allowed:
        DECISIONS.labels(str(decision)).inc()
    client.chat_postEphemeral(channel=channel, user=user,
                              text=outcome.refusal.text if outcome.refusal is not None else outcome.text)
