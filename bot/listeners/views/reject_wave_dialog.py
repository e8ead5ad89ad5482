"""The wave's reject dialog's submission: the wave is rejected here, with the reason the approver typed.

As with a request's dialog (bot.listeners.views.reject_dialog): the dialog closes at once, or stays open
with the problem on its field (a reason too long); the decision follows in the lazy half, and whoever
decided in the meantime wins — a wave approved while the dialog was open is not rejected, and the person
is told privately. The wave's message is redrawn by the wave's tick (workers.wave_notify).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.blocks import submitted_reason, wave_reject_dialog_errors
from bot.metrics import DECISIONS
from bot.services import Services
from workers.ui.modals import WaveRejectContext


def close_wave_dialog(ack: Ack, view: dict[str, Any]) -> None:
    errors = wave_reject_dialog_errors(view)
    if errors:
        ack(response_action="errors", errors=errors)
    else:
        ack()


def reject_wave_with_reason(services: Services, body: dict[str, Any], client: WebClient) -> None:
    view = body["view"]
    if wave_reject_dialog_errors(view):
        return  # the acknowledgement showed the problem on the field; nothing is decided
    context = WaveRejectContext.from_metadata(view["private_metadata"])
    user = str(body["user"]["id"])
    outcome = services.waves.reject(context.wave, user=user, reason=submitted_reason(view))
    if outcome.allowed:
        DECISIONS.labels("rejected").inc()
    client.chat_postEphemeral(channel=context.channel, user=user,
                              text=outcome.refusal.text if outcome.refusal is not None else outcome.text)
