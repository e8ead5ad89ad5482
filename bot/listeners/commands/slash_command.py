"""The slash command's listener: the answer inside the acknowledgement, or the modal for a bare command."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.listeners.commands.answer import answer
from bot.listeners.commands.open_form import open_form
from bot.services import Services


def acknowledge_command(services: Services, ack: Ack, command: dict[str, Any], client: WebClient) -> None:
    """Answer within Slack's 3 seconds with what was done (or why nothing was).

    `/ackmigrate` alone opens the modal (bot.modal) instead: views.open is the one Slack call made
    before the acknowledgement, because the trigger it needs lasts only 3 seconds.
    """
    if not str(command.get("text") or "").strip():
        open_form(services, client, command)
        ack()
        return
    reply = answer(services, command)
    ack(response_type="ephemeral", text=reply.text, blocks=reply.blocks or None)
