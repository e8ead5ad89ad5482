"""`ackmigrate socket`: the same Bolt app over Socket Mode, for workspaces where Slack cannot reach us.

No public URL, no request signatures (the WebSocket is opened with the app-level token); everything
else — listeners, Redis, queues — is exactly what `ackmigrate serve` runs.
"""

from __future__ import annotations

import logging
import socket
import threading
import time

from redis import Redis
from redis.exceptions import RedisError
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.app import build_app
from bot.web import connect_redis
from workers.config import Settings
from workers.health import SOCKET_HEARTBEAT_INTERVAL_S, SOCKET_HEARTBEAT_TTL_S, socket_heartbeat_key

logger = logging.getLogger(__name__)


def run_socket_mode(settings: Settings) -> int:
    settings.require("slack_app_token", "slack_bot_token")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = build_app(settings, redis=connect_redis(settings), socket_mode=True)
    handler = SocketModeHandler(app, app_token=settings.slack_app_token)
    logger.info("connecting to Slack over Socket Mode at %s", settings.slack_api_url)
    beating = threading.Thread(target=_heartbeat, args=(handler, connect_redis(settings)), name="heartbeat",
                               daemon=True)
    beating.start()
    handler.start()  # blocks until the process is stopped
    return 0


def _heartbeat(handler: SocketModeHandler, redis: Redis) -> None:
    """Say in Redis, while the WebSocket is connected, that this process is alive (`ackmigrate health socket`)."""
    key = socket_heartbeat_key(socket.gethostname())
    while True:
        pause = 1.0  # not connected (yet): look again soon, so the first beat follows the connection
        try:
            if handler.client.is_connected():
                redis.set(key, str(time.time()), ex=SOCKET_HEARTBEAT_TTL_S)
                pause = SOCKET_HEARTBEAT_INTERVAL_S
        except RedisError as error:
            logger.warning("heartbeat: Redis unavailable (%s); the liveness probe will say so", error)
        time.sleep(pause)
