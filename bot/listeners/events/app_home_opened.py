"""`app_home_opened`: someone opened the app's Home tab — note them and queue the publish of their tab.

Both are one Redis round trip, inside the ack: the worker gathers the fleet and calls views.publish
(workers.home, throttled per person). The Messages tab opens the same event with `tab: messages`; it
shows no view, so nothing is published for it (https://api.slack.com/events/app_home_opened).
"""

from __future__ import annotations

import time
from typing import Any

from slack_bolt import Ack

from bot.services import Services
from workers.home_viewers import remember_viewer

HOME_TAB = "home"


def open_home(services: Services, ack: Ack, event: dict[str, Any]) -> None:
    """Noted and queued before the ack, so an ack always means the tab will be published."""
    user = str(event.get("user") or "")
    if event.get("tab") == HOME_TAB and user:
        remember_viewer(services.redis, user, now=time.time())
        services.queues.publish_home(user)
    ack()
