"""Events: someone @-mentions the bot (answer in the thread with what it can do), or opens its Home tab."""

from __future__ import annotations

from functools import partial

from slack_bolt import App

from bot.listeners.acknowledge import acknowledge
from bot.listeners.events.app_home_opened import open_home
from bot.listeners.events.app_mention import answer_mention
from bot.services import Services


def register(app: App, services: Services) -> None:
    app.event("app_mention")(ack=acknowledge, lazy=[answer_mention])
    app.event("app_home_opened")(partial(open_home, services))  # Bolt injects ack and event by name
