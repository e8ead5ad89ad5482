"""`/ackmigrate …`: parse, authorise, hand the work to RQ, and answer privately — all inside the ack.

Everything here touches only Redis (and, for group membership, a cached Slack lookup), so the answer
is the slash command's HTTP response itself: the person sees "Running prechecks for prod-hz-1…" the
moment Slack gets it, and a usage error changes nothing at all.
"""

from __future__ import annotations

from functools import partial

from slack_bolt import App

from bot.listeners.commands.answer import COMMAND
from bot.listeners.commands.slash_command import acknowledge_command
from bot.services import Services


def register(app: App, services: Services) -> None:
    app.command(COMMAND)(partial(acknowledge_command, services))  # Bolt injects ack, command, client by name
