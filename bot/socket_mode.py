"""`ackmigrate socket`: the same Bolt app over Socket Mode, for workspaces where Slack cannot reach us.

No public URL, no request signatures (the WebSocket is opened with the app-level token); everything
else — listeners, Redis, queues — is exactly what `ackmigrate serve` runs.
"""

from __future__ import annotations

import logging

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.app import build_app
from bot.web import connect_redis
from workers.config import Settings

logger = logging.getLogger(__name__)


def run_socket_mode(settings: Settings) -> int:
    settings.require("slack_app_token", "slack_bot_token")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = build_app(settings, redis=connect_redis(settings), socket_mode=True)
    handler = SocketModeHandler(app, app_token=settings.slack_app_token)
    logger.info("connecting to Slack over Socket Mode at %s", settings.slack_api_url)
    handler.start()  # blocks until the process is stopped
    return 0
