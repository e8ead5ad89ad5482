"""`app_mention`: the help, in the mention's thread."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from workers.ui import private_answers


def answer_mention(event: dict[str, Any], client: WebClient) -> None:
    """The help, in the mention's thread, so the channel is not flooded."""
    client.chat_postMessage(
        channel=event["channel"], thread_ts=event.get("thread_ts") or event["ts"], text=private_answers.help_text()
    )
