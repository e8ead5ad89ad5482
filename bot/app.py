"""The composition root: one Bolt `App` with every listener, built from Settings and a Redis client.

`process_before_response=True`: each listener's acknowledgement runs before the HTTP answer (so a
slash command's reply *is* its answer, and under gunicorn nothing runs after the response unless Bolt
started it), and anything that talks to Slack afterwards is a lazy listener. Nothing waits on a cloud
API: work goes to RQ.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from redis import Redis
from slack_bolt import App, BoltResponse
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot.errors import handle_listener_error
from bot.listeners import actions, commands, events, options, views
from bot.metrics import ACK_LATENCY
from bot.services import Services
from workers.config import Settings

logger = logging.getLogger(__name__)

SLACK_TIMEOUT_S = 10


def build_client(settings: Settings) -> WebClient:
    """The bot token's Web API client; short blips (a 429's Retry-After, a reset connection) are retried."""
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=SLACK_TIMEOUT_S,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2), RateLimitErrorRetryHandler(max_retry_count=1)],
    )


class _DropTokenSkipped(logging.Filter):
    """Bolt warns that `token` is unused whenever SLACK_BOT_TOKEN is in the environment and a client is
    given (it reads the variable itself). We give the client built from that same token on purpose, so
    the warning says nothing an operator could act on; every other Bolt warning still shows."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


BOLT_LOGGER = logging.getLogger("bot.bolt")
BOLT_LOGGER.addFilter(_DropTokenSkipped())


def build_app(settings: Settings, *, redis: Redis, socket_mode: bool = False) -> App:
    """`socket_mode`: requests arrive over Slack's WebSocket, so there is no HTTP signature to check."""
    settings.require("slack_bot_token", *(() if socket_mode else ("slack_signing_secret",)))
    client = build_client(settings)
    identity = client.auth_test()  # fails fast on a wrong token or URL, and names the team for permalinks
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret,
        request_verification_enabled=not socket_mode,
        process_before_response=True,
        token_verification_enabled=False,  # auth.test just ran; Bolt need not call it again
        logger=BOLT_LOGGER,
    )
    services = Services.build(settings, redis=redis, client=client, team_url=str(identity.get("url") or ""))
    app.middleware(measure_ack_latency)
    app.error(handle_listener_error)
    commands.register(app, services)
    actions.register(app, services)
    views.register(app, services)
    options.register(app, services)
    events.register(app, services)
    return app


def measure_ack_latency(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse:  # noqa: A002
    """Time from the request reaching the bot to its acknowledgement (the listener's ack half)."""
    started = time.perf_counter()
    try:
        return next()
    finally:
        ACK_LATENCY.labels(_kind(body)).observe(time.perf_counter() - started)


def _kind(body: dict[str, Any]) -> str:
    if "command" in body:
        return "command"
    kind = body.get("type")
    if kind == "event_callback":
        return "event"
    return str(kind) if kind in ("block_actions", "view_submission", "block_suggestion") else "other"
