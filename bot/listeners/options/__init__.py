"""The modal's pickers (`external_select`): Slack asks for options as a person opens or types in one."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners.options import bucket_options, cluster_options
from bot.services import Services
from workers.ui.ids import BUCKET_ACTION, CLUSTER_ACTION


def register(app: App, services: Services) -> None:
    app.options(CLUSTER_ACTION)(cluster_options.listener(services))
    app.options(BUCKET_ACTION)(bucket_options.listener(services))
