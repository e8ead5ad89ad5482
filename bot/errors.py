"""When handling a Slack request fails: the person is told, and the error is logged with its context.

Two places: Bolt's `app.error` handler for failures inside an acknowledgement (its answer becomes the
slash command's private reply), and `tell_user_on_error` for the lazy half of a click, which runs after
Slack already has its 200 and so can only answer with chat.postEphemeral.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from workers.ui import private_answers

logger = logging.getLogger(__name__)


LazyListener = Callable[[dict[str, Any], WebClient], None]


def tell_user_on_error(handler: Callable[..., None], *bound: Any) -> LazyListener:
    """Bolt's lazy listener for `handler(*bound, body, client)`: a failure is logged and the person told.

    The bound values (the services, a workflow kind) are given here rather than through Bolt's context,
    because Bolt deep-copies the context for a lazy listener and the services hold live connections.
    The returned function's own parameters are what Bolt injects by name: `body` and `client`.
    """

    def run(body: dict[str, Any], client: WebClient) -> None:
        try:
            handler(*bound, body, client)
        except Exception as error:
            logger.exception("%s failed for %s", handler.__name__, _who(body))
            _tell(client, body, private_answers.something_went_wrong(type(error).__name__))

    run.__name__ = run.__qualname__ = handler.__name__  # Bolt's log lines name the listener
    return run


def handle_listener_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
    """`app.error`: a slash command's failure is answered privately instead of Slack's "dispatch_failed"."""
    logger.error("handling %s failed: %s", _who(body), error, exc_info=error)
    text = private_answers.something_went_wrong(type(error).__name__)
    return BoltResponse(
        status=200,
        body=json.dumps({"response_type": "ephemeral", "text": text}),
        headers={"content-type": ["application/json;charset=utf-8"]},
    )


def _tell(client: WebClient, body: dict[str, Any], text: str) -> None:
    user = (body.get("user") or {}).get("id")
    channel = (body.get("channel") or {}).get("id") or _dialog_channel(body)
    if not user or not channel:
        return
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text)
    except SlackClientError:
        logger.exception("could not tell %s in %s that their request failed", user, channel)


def _dialog_channel(body: dict[str, Any]) -> str | None:
    """A dialog carries the channel it was opened from in its private_metadata (workers.ui.modals)."""
    metadata = (body.get("view") or {}).get("private_metadata") or ""
    try:
        channel = json.loads(metadata).get("channel") if metadata else None
    except (ValueError, AttributeError):
        return None  # not one of our dialogs: there is no channel to answer in
    return str(channel) if channel else None


def _who(body: dict[str, Any]) -> str:
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    kind = body.get("type") or body.get("command") or "request"
    actions = [a.get("action_id") for a in body.get("actions") or []]
    return f"{kind} {','.join(map(str, actions))} by {user}".replace("  ", " ")
