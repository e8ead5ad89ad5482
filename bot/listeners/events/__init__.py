"""Events: someone @-mentions the bot — answer in the thread with what it can do."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services import Services
from workers.ui import private_answers


def register(app: App, services: Services) -> None:
    app.event("app_mention")(ack=acknowledge, lazy=[answer_mention])


def acknowledge(ack: Ack) -> None:
    ack()


def answer_mention(event: dict[str, Any], client: WebClient) -> None:
    """The help, in the mention's thread, so the channel is not flooded."""
    client.chat_postMessage(
        channel=event["channel"], thread_ts=event.get("thread_ts") or event["ts"], text=private_answers.help_text()
    )
