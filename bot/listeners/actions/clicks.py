"""What a button click's `block_actions` payload says (who, where, which request), and a refusal's answer."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.approvals import Outcome
from bot.authz import Click


def clicker(body: dict[str, Any]) -> str:
    return str(body["user"]["id"])


def channel_of(body: dict[str, Any]) -> str:
    channel = body.get("channel") or {}
    return str(channel.get("id") or body.get("container", {}).get("channel_id", ""))


def click_of(body: dict[str, Any]) -> Click:
    """The channel and the message the button was on, as Slack's block_actions payload names them."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    return Click(channel=channel_of(body), message_ts=str(container.get("message_ts") or message.get("ts") or ""))


def request_id_of(body: dict[str, Any]) -> str:
    """The request id the button carries (ARCHITECTURE.md, "Names others rely on": the button `value`)."""
    actions = body.get("actions") or [{}]
    return str(actions[0].get("value") or "")


def told_refusal(client: WebClient, channel: str, user: str, outcome: Outcome) -> bool:
    """Show a refusal privately (bot.approvals already counted and audited it); True when there was one."""
    if outcome.refusal is None:
        return False
    client.chat_postEphemeral(channel=channel, user=user, text=outcome.refusal.text)
    return True
