"""Events API deliveries: what Slack sends an app when something happens that is not a command or a click.

Over HTTP an event is an `event_callback` JSON body POSTed to the request URL, signed like every other
request (https://api.slack.com/apis/events-api#receiving-events); over Socket Mode the same body is the
payload of an `events_api` envelope (https://api.slack.com/apis/socket-mode#events). The app only acks;
nothing it answers is shown to anyone.

Today one event is delivered: `app_home_opened` (https://api.slack.com/events/app_home_opened), a person
opening the app's Home tab. It carries the tab's current view when one was published before, as Slack's does.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import TYPE_CHECKING, Any

from sandbox.slack_delivery import ACK_DEADLINE_S, ControlError, _post_signed, _target, _user, _workspace
from sandbox.slack_socket import SocketModeHub
from sandbox.slack_workspace import APP_ID, BOT_USER_ID, TEAM_ID, VERIFICATION_TOKEN, SlackWorkspace

if TYPE_CHECKING:
    from sandbox.world import World

HOME_TABS = ("home", "messages")


def deliver_app_home_opened(world: World, body: dict[str, Any]) -> dict[str, Any]:
    """`user` opens the app's Home tab (or its Messages tab, with `"tab": "messages"`)."""
    tab = str(body.get("tab") or "home")
    if tab not in HOME_TABS:
        raise ControlError(400, f"tab must be one of {', '.join(HOME_TABS)} (got {tab!r})")
    with world.lock:
        ws = _workspace(world)
        user = _user(ws, body)
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user.id,
            "channel": ws.im_channel(user.id).id,
            "tab": tab,
            "event_ts": ws.next_ts(),
        }
        home = ws.homes.get(user.id)
        if tab == "home" and home is not None:
            event["view"] = {"id": home.id, "team_id": TEAM_ID, "type": "home", "blocks": home.view.get("blocks", []),
                             "hash": home.hash, "app_id": APP_ID}
        target = _target(ws)
    return deliver_event(world, ws, target, event)


def deliver_event(
    world: World, ws: SlackWorkspace, target: str | SocketModeHub, event: dict[str, Any]
) -> dict[str, Any]:
    """Wrap `event` in Slack's `event_callback` and send it; the answer is recorded with the deliveries."""
    callback = _event_callback(event)
    if isinstance(target, SocketModeHub):
        answer = target.deliver("events_api", callback, accepts_response_payload=False, timeout=ACK_DEADLINE_S)
    else:
        answer = _post_signed(ws.signing_secret, target, json.dumps(callback), content_type="application/json")
    with world.lock:
        ws.deliveries.append({"kind": event["type"], "payload": callback, **answer})
    return {**answer, "event_id": callback["event_id"], "event": event}


def _event_callback(event: dict[str, Any]) -> dict[str, Any]:
    """The outer body of an Events API delivery, with the fields Slack always sends."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": "Ev" + secrets.token_hex(5).upper(),
        "event_time": int(time.time()),
        "authorizations": [
            {"enterprise_id": None, "team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True,
             "is_enterprise_install": False}
        ],
        "is_ext_shared_channel": False,
    }
