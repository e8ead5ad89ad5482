"""Reject on a wave request (`reject_wave`; the value is the wave's name): opens the wave's reason dialog
(bot.listeners.views.reject_wave_dialog), as Reject on a request does.

The click is authorised first (its own message, an approver, the wave still undecided); a refused click is
told privately and opens nothing. The wave is rejected only when the dialog is submitted.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.limits import REASON_MAX_LENGTH
from bot.listeners.actions.clicks import channel_of, click_of, clicker, request_id_of
from bot.services import Services
from workers.ui.modals import wave_reject_dialog


def open_wave_reject_dialog(services: Services, body: dict[str, Any], client: WebClient) -> None:
    user, channel = clicker(body), channel_of(body)
    outcome = services.waves.check_rejectable(request_id_of(body), user=user, click=click_of(body))
    if outcome.refusal is not None:  # already counted and audited (bot.waves)
        client.chat_postEphemeral(channel=channel, user=user, text=outcome.refusal.text)
        return
    if outcome.wave is not None:  # always, when allowed: the wave that was checked
        client.views_open(trigger_id=body["trigger_id"], view=wave_reject_dialog(
            outcome.wave, channel=channel, reason_max_length=REASON_MAX_LENGTH))
