"""The `/ackmigrate` modal's submission: problems on their fields, otherwise the typed command's own path.

The acknowledgement either keeps the modal open with the problems (`response_action: errors`) or closes
it; the lazy half then renders the choice as the command text (`precheck CLUSTER --bucket B`, `migrate
CLUSTER --bucket B`) and hands it to the slash command's answer, so authorisation, queueing, audit and
the answer are exactly the typed command's. The answer comes privately in the channel the modal was
opened from.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.grammar import render
from bot.listeners.commands.answer import COMMAND, answer
from bot.modal import read_submission
from bot.services import Services


def check_form(ack: Ack, view: dict[str, Any]) -> None:
    """Close the modal, or keep it open with each problem on its field."""
    errors = read_submission(view).errors
    if errors:
        ack(response_action="errors", errors=errors)
    else:
        ack()


def run_form(services: Services, body: dict[str, Any], client: WebClient) -> None:
    submitted = read_submission(body["view"])
    if submitted.command is None or submitted.context is None:
        return  # the acknowledgement showed the problems on their fields; nothing runs
    user, channel = str(body["user"]["id"]), submitted.context.channel
    reply = answer(services, {"command": COMMAND, "text": render(submitted.command), "user_id": user,
                              "channel_id": channel})
    client.chat_postEphemeral(channel=channel, user=user, text=reply.text, blocks=reply.blocks or None)
