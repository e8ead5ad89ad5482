"""`/ackmigrate` with nothing after it: open the modal, and warm its pickers while the person looks at it."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.metrics import COMMANDS
from bot.pickers import refresh_if_stale
from bot.services import Services
from workers.picker_cache import PickerCache
from workers.ui.modals import migration_form


def open_form(services: Services, client: WebClient, command: dict[str, Any]) -> None:
    COMMANDS.labels("form").inc()
    region = services.settings.region
    view = migration_form(channel=str(command.get("channel_id") or ""), region=region)
    client.views_open(trigger_id=str(command.get("trigger_id") or ""), view=view)
    refresh_if_stale(PickerCache(services.redis), services.queues, region)
