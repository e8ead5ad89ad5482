"""`ackmigrate socket`: the same Bolt app over Socket Mode, for workspaces where Slack cannot reach us.

No public URL, no request signatures (the WebSocket is opened with the app-level token); everything
else — listeners, Redis, queues — is exactly what `ackmigrate serve` runs. Envelopes pass the same size
and shape checks as HTTP bodies (bot.intake) before slack_sdk parses them: one over the limit, or one
that is not a JSON object with an object payload, is dropped with one log line (and acknowledged when
it has an envelope id, so Slack does not send it again) instead of raising in a listener thread.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time

from redis import Redis
from redis.exceptions import RedisError
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot import intake
from bot.app import build_app
from bot.web import connect_redis
from workers.config import Settings
from workers.health import SOCKET_HEARTBEAT_INTERVAL_S, SOCKET_HEARTBEAT_TTL_S, socket_heartbeat_key

logger = logging.getLogger(__name__)


RECEIVE_BUFFER_BYTES = 64 * 1024
"""slack_sdk's built-in WebSocket reader recurses once per `recv` while it assembles a frame; at Bolt's
default of 1 KiB a message over about 1 MB exceeded Python's recursion limit and broke the connection
(seen in tests/bot/test_socket_mode.py). 64 KiB reads (at most 16 KiB per TLS record) keep a message of
MAX_BODY_BYTES to a few hundred levels at worst."""


class BoundedSocketModeClient(SocketModeClient):
    """slack_sdk's own client, with bot.intake's checks where a received message enters its queue.

    The WebSocket frame itself is read by slack_sdk from the connection the bot opened to Slack with its
    app token (no one else can write to it); what the limit bounds is what the bot parses and runs.
    """

    def enqueue_message(self, message: str) -> None:
        try:
            intake.parse_envelope(message)
        except intake.Refused as refused:
            envelope_id = _envelope_id(message)
            logger.warning("refused a Socket Mode envelope%s: %s", f" {envelope_id}" if envelope_id else "", refused)
            if envelope_id:
                self.send_socket_mode_response({"envelope_id": envelope_id})
            return
        super().enqueue_message(message)


class BoundedSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler over BoundedSocketModeClient (Bolt builds a plain client itself)."""

    def __init__(self, app: App, *, app_token: str) -> None:
        # Not super().__init__(): it would build (and keep) a second, unbounded client.
        self.app = app
        self.app_token = app_token
        self.client = BoundedSocketModeClient(app_token=app_token, logger=app.logger, web_client=app.client,
                                              receive_buffer_size=RECEIVE_BUFFER_BYTES)
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        """Bolt's handling, except that a payload Bolt cannot read (the wrong shape deep inside) is acked
        and logged in one line, as bot.web answers the same body over HTTP with a 400."""
        try:
            super().handle(client, req)
        except (AttributeError, TypeError, KeyError, IndexError) as error:
            logger.warning("refused a Socket Mode envelope %s: Bolt could not read its payload (%s)",
                           req.envelope_id, type(error).__name__)
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))


def run_socket_mode(settings: Settings) -> int:
    settings.require("slack_app_token", "slack_bot_token")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = build_app(settings, redis=connect_redis(settings), socket_mode=True)
    handler = BoundedSocketModeHandler(app, app_token=str(settings.slack_app_token))
    logger.info("connecting to Slack over Socket Mode at %s", settings.slack_api_url)
    beating = threading.Thread(target=_heartbeat, args=(handler, connect_redis(settings)), name="heartbeat",
                               daemon=True)
    beating.start()
    handler.start()  # blocks until the process is stopped
    return 0


def _envelope_id(message: str) -> str | None:
    """The id to acknowledge a refused envelope by, when it is small enough to read and has one."""
    if len(message) > intake.MAX_BODY_BYTES:
        return None
    try:
        envelope = json.loads(message)
    except ValueError:
        return None
    envelope_id = envelope.get("envelope_id") if isinstance(envelope, dict) else None
    return envelope_id if isinstance(envelope_id, str) and 0 < len(envelope_id) <= 100 else None
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
