"""Events: someone @-mentions the bot — answer in the thread with what it can do."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners.acknowledge import acknowledge
from bot.listeners.events.app_mention import answer_mention
from bot.services import Services


def register(app: App, services: Services) -> None:
    app.event("app_mention")(ack=acknowledge, lazy=[answer_mention])
