"""Slack's side of the conversation: a person typing a slash command or clicking a button.

The control API (`/_sandbox/slack/…` on the ACK port, delegated here) turns "alice runs
`/ackmigrate migrate …`" into the exact HTTP request Slack would send the bot: form-encoded, signed
with the app's signing secret (v0 HMAC-SHA256 over `v0:{timestamp}:{body}`), with a response_url that
points back at this stand-in and a trigger_id that views.open accepts once. A click is only delivered
for a button that really is in the stored message: a person cannot click what is not there.

What the bot answers is handled as Slack handles it: a slash command's HTTP answer becomes a private
(or in-channel) message, an error becomes Slackbot's "failed with the error …", and posts to a
response_url add, replace or delete messages. An app in Socket Mode (`sandbox.slack_socket`) gets the same
form fields or payload as an envelope on its WebSocket instead, and its ack's payload is its answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

from sandbox.httpserver import ApiError, Request, Response
from sandbox.slack_blocks import BlocksError, buttons, find_button, validate_blocks
from sandbox.slack_socket import MODES, SocketModeHub, hub_for, socket_target
from sandbox.slack_workspace import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    RESPONSE_URL_TTL_S,
    RESPONSE_URL_USES,
    SLACKBOT_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    VERIFICATION_TOKEN,
    Channel,
    Ephemeral,
    Message,
    ResponseUrl,
    SlackWorkspace,
    User,
)

if TYPE_CHECKING:
    from sandbox.world import World

PREFIX = "/_sandbox/slack/"
ACK_DEADLINE_S = 3.0
"""Slack gives an app 3 seconds to answer; later answers are dropped and the user sees operation_timeout."""
DELIVERY_TIMEOUT_S = 30.0
"""How long the sandbox waits anyway, so a slow bot is reported as late instead of failing a test."""

# Deliveries go to the bot on this machine, never through a proxy from the environment.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ControlError(Exception):
    """A control request that cannot be carried out; answered with this status and explanation."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def handle_slack_control(world: World, request: Request) -> Response | None:
    """Answer `/_sandbox/slack/…`; None for any other path so the caller can route it elsewhere."""
    if not request.path.startswith(PREFIX):
        return None
    route = (request.method, request.path[len(PREFIX):].strip("/"))
    try:
        if route == ("POST", "commands"):
            return Response.json(deliver_command(world, _body(request)))
        if route == ("POST", "actions"):
            return Response.json(deliver_click(world, _body(request)))
        if route in (("POST", "config"), ("GET", "config")):
            return Response.json(_config(world, _body(request) if request.method == "POST" else {}))
        if route == ("GET", "messages"):
            return Response.json({"messages": _messages(world, request)})
        if route == ("GET", "ephemeral"):
            return Response.json({"messages": _ephemeral(world, request)})
        if route == ("GET", "views"):
            with world.lock:
                return Response.json({"views": [v.to_record() for v in world.slack.views]})
        if route == ("GET", "files"):
            with world.lock:
                return Response.json({"files": [u.to_record() for u in world.slack.uploads.values()]})
        if route == ("GET", "deliveries"):
            with world.lock:
                return Response.json({"deliveries": list(world.slack.deliveries)})
        if route == ("GET", "home"):
            return Response.json(_home(world, request))
        if route == ("POST", "app_home_opened"):
            from sandbox.slack_events import deliver_app_home_opened  # it builds on this module's delivery

            return Response.json(deliver_app_home_opened(world, _body(request)))
        if route in (("GET", "pace"), ("POST", "pace")):
            return Response.json(_pace(world, request))
        if request.method == "PUT" and route[1].startswith("usergroups/"):
            return Response.json(_set_usergroup(world, route[1].removeprefix("usergroups/"), _body(request)))
        if route[1].startswith("views/"):
            from sandbox.slack_views import handle_view_control  # it builds on this module's delivery

            return handle_view_control(world, request, route[1][len("views/"):])
    except ControlError as error:
        return Response.json({"error": str(error)}, status=error.status)
    routes = ("POST commands, POST actions, POST|GET config, GET messages, GET ephemeral, GET views, GET files, "
              "GET deliveries, GET home, POST app_home_opened, GET|POST pace, "
              "POST views/options|pick|choose|type|submit, PUT usergroups/ID")
    return Response.json({"error": f"no control route {request.method} {request.path}; try {routes}"}, status=404)


def _set_usergroup(world: World, group_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Who is in a user group now, as a Slack admin would change it: `{"users": ["U…", …]}`."""
    users = body.get("users")
    if not isinstance(users, list) or not all(isinstance(u, str) for u in users):
        raise ControlError(400, "users must be a list of Slack user ids")
    with world.lock:
        group = _workspace(world).usergroups.get(group_id)
        if group is None:
            raise ControlError(404, f"no user group {group_id}")
        group.users = list(users)
        return {"id": group.id, "users": list(group.users)}


# --- slash commands and clicks ------------------------------------------------------------------------------


def deliver_command(world: World, body: dict[str, Any]) -> dict[str, Any]:
    """Send the bot the request Slack sends when `user` types `command text` in `channel`."""
    command = str(body.get("command") or "/ackmigrate")
    text = str(body.get("text") or "")
    with world.lock:
        ws = _workspace(world)
        user, channel = _user(ws, body), _channel(ws, body)
        if user.id not in channel.members:
            raise ControlError(403, f"@{user.name} is not in #{channel.name}, so cannot run a command there")
        target = _target(ws)
        response_url, origin = ws.new_response_url(_stand_in_url(world), kind="command", channel=channel.id, user=user.id)
        trigger = ws.new_trigger(user.id)
        form = {
            "token": VERIFICATION_TOKEN,
            "team_id": TEAM_ID,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel.id,
            "channel_name": channel.name or "directmessage",
            "user_id": user.id,
            "user_name": user.name,
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger.id,
        }
    answer = _send(ws, target, "slash_commands", form, urllib.parse.urlencode(form))
    with world.lock:
        _show_command_answer(ws, origin, command, answer)
        ws.deliveries.append({"kind": "command", "request": form, **answer})
    return {**answer, "response_url": response_url, "trigger_id": trigger.id}


def deliver_click(world: World, body: dict[str, Any]) -> dict[str, Any]:
    """Send the bot the `block_actions` payload for `user` clicking button `action_id` on a message."""
    action_id = str(body.get("action_id") or "")
    message_ts = str(body.get("message_ts") or "")
    if not action_id or not message_ts:
        raise ControlError(400, "a click needs user, channel, message_ts and action_id")
    with world.lock:
        ws = _workspace(world)
        user, channel = _user(ws, body), _channel(ws, body)
        if user.id not in channel.members:
            raise ControlError(403, f"@{user.name} is not in #{channel.name}, so cannot see its messages")
        target = _target(ws)
        shown: Message | Ephemeral | None = ws.message(channel.id, message_ts)
        if shown is None:
            shown = ws.ephemeral(channel.id, user.id, message_ts)
        if shown is None:
            raise ControlError(404, f"no message {message_ts} in #{channel.name} that @{user.name} can see")
        found = find_button(shown.blocks, action_id)
        if found is None:
            present = [str(b.get("action_id")) for _, b in buttons(shown.blocks)] or ["none"]
            raise ControlError(
                409, f"message {message_ts} has no button {action_id!r} (its buttons: {', '.join(present)})"
            )
        block_id, button = found
        is_ephemeral = isinstance(shown, Ephemeral)
        response_url, _ = ws.new_response_url(
            _stand_in_url(world), kind="block_actions", channel=channel.id, user=user.id,
            message_ts=message_ts, is_ephemeral=is_ephemeral,
        )
        trigger = ws.new_trigger(user.id)
        payload = _block_actions_payload(
            user=user, channel=channel, shown=shown, block_id=block_id, button=button,
            response_url=response_url, trigger_id=trigger.id,
        )
    answer = _send(ws, target, "interactive", payload, urllib.parse.urlencode({"payload": json.dumps(payload)}))
    with world.lock:
        ws.deliveries.append({"kind": "block_actions", "payload": payload, **answer})
    return {**answer, "response_url": response_url, "trigger_id": trigger.id}


def _block_actions_payload(
    *,
    user: User,
    channel: Channel,
    shown: Message | Ephemeral,
    block_id: str,
    button: dict[str, Any],
    response_url: str,
    trigger_id: str,
) -> dict[str, Any]:
    action: dict[str, Any] = {
        "action_id": button["action_id"],
        "block_id": block_id,
        "text": button.get("text"),
        "type": "button",
        "action_ts": f"{time.time():.6f}",
    }
    for key in ("value", "style", "url"):
        if key in button:
            action[key] = button[key]
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": shown.ts,
        "channel_id": channel.id,
        "is_ephemeral": isinstance(shown, Ephemeral),
    }
    if shown.thread_ts and shown.thread_ts != shown.ts:
        container["thread_ts"] = shown.thread_ts
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user.id, "username": user.name, "name": user.name, "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": trigger_id,
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel.id, "name": channel.name or "directmessage"},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }
    if isinstance(shown, Message):  # Slack does not echo an ephemeral message back
        payload["message"] = shown.to_api()
    return payload


def sign(secret: str, timestamp: str, body: str) -> str:
    """Slack's v0 request signature; the bot verifies it with the same secret."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


def _send(
    ws: SlackWorkspace, target: str | SocketModeHub, envelope_type: str, payload: dict[str, Any], form_body: str
) -> dict[str, Any]:
    """Over the app's Socket Mode connection as an envelope, or to its request URL as a signed form POST."""
    if isinstance(target, SocketModeHub):
        return target.deliver(envelope_type, payload, accepts_response_payload=envelope_type == "slash_commands",
                              timeout=ACK_DEADLINE_S)
    return _post_signed(ws.signing_secret, target, form_body)


def _post_signed(
    secret: str, url: str, body: str, *, content_type: str = "application/x-www-form-urlencoded"
) -> dict[str, Any]:
    """POST a body as Slack does (a form; JSON for Events API events); report the bot's answer, or why there was none."""
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        url,
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(secret, timestamp, body),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        },
    )
    started = time.monotonic()
    try:
        with _opener.open(request, timeout=DELIVERY_TIMEOUT_S) as response:
            status, raw, content_type = response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        status, raw, content_type = error.code, error.read(), error.headers.get("Content-Type", "")
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return {"status": None, "body": "", "error": f"could not reach {url}: {reason}",
                "elapsed_ms": round((time.monotonic() - started) * 1000, 1), "late": False}
    elapsed = time.monotonic() - started
    return {
        "status": status,
        "body": raw.decode("utf-8", "replace"),
        "content_type": content_type,
        "elapsed_ms": round(elapsed * 1000, 1),
        "late": elapsed > ACK_DEADLINE_S,
    }


def _show_command_answer(ws: SlackWorkspace, origin: ResponseUrl, command: str, answer: dict[str, Any]) -> None:
    """What the person sees after their command: the bot's immediate answer, or Slack's error."""
    if answer["status"] is None or answer["late"] or not 200 <= answer["status"] < 300:
        reason = "operation_timeout" if answer.get("late") else "dispatch_failed"
        _slackbot_says(ws, origin, f'{command} failed with the error "{reason}"')
        return
    raw = answer["body"].strip()
    if not raw:
        return
    content: Any
    if "json" in answer.get("content_type", ""):
        try:
            content = json.loads(raw)
        except ValueError:
            _slackbot_says(ws, origin, f'{command} failed with the error "invalid_response"')
            return
    else:
        content = {"text": raw}
    if not isinstance(content, dict) or not (content.get("text") or content.get("blocks")):
        return  # an ack with an empty JSON object shows nothing, as in Slack
    try:
        _post_response(ws, origin, content)
    except ApiError as error:
        _slackbot_says(ws, origin, f'{command} failed with the error "{error.code}"')


def _slackbot_says(ws: SlackWorkspace, origin: ResponseUrl, text: str) -> None:
    ws.ephemerals.append(
        Ephemeral(channel=origin.channel, user=origin.user, ts=ws.next_ts(), text=text, source="slack", sender=SLACKBOT_ID)
    )


# --- response_url --------------------------------------------------------------------------------------------


def respond_to_response_url(ws: SlackWorkspace, response_id: str, body: dict[str, Any]) -> None:
    """A post to a response_url, with Slack's limits: five uses within 30 minutes."""
    origin = ws.response_urls.get(response_id)
    if origin is None or time.time() - origin.created > RESPONSE_URL_TTL_S:
        raise ApiError(404, "expired_url", "this response_url is unknown or expired")
    if origin.uses >= RESPONSE_URL_USES:
        raise ApiError(404, "used_url", f"this response_url was already used {RESPONSE_URL_USES} times")
    origin.uses += 1
    _post_response(ws, origin, body)


def _post_response(ws: SlackWorkspace, origin: ResponseUrl, body: dict[str, Any]) -> None:
    """Add, replace or delete a message the way a response_url post (or a command's answer) does."""
    if _flag(body.get("delete_original")):
        target = _original(ws, origin)
        target.deleted = True
        return
    text = str(body.get("text") or "")
    try:
        blocks = validate_blocks(body["blocks"]) if body.get("blocks") not in (None, "") else []
    except BlocksError as error:
        raise ApiError(400, error.code, "; ".join(error.errors)) from None
    if _flag(body.get("replace_original")):
        target = _original(ws, origin)
        if not text and not blocks:
            raise ApiError(400, "no_text", "a replacement needs text or blocks")
        ws.edit_message(target, text=text, blocks=blocks, editor=BOT_USER_ID)
        return
    if not text and not blocks:
        raise ApiError(400, "no_text", "a response needs text or blocks")
    thread_ts = body.get("thread_ts") or None
    if body.get("response_type") == "in_channel":
        message = ws.add_message(
            Message(channel=origin.channel, ts=ws.next_ts(), user=BOT_USER_ID, text=text, blocks=blocks,
                    thread_ts=thread_ts, bot_id=BOT_ID)
        )
        origin.message_ts, origin.is_ephemeral = message.ts, False
    else:
        ephemeral = Ephemeral(channel=origin.channel, user=origin.user, ts=ws.next_ts(), text=text, blocks=blocks,
                              thread_ts=thread_ts, source="response_url" if origin.uses else "command_response")
        ws.ephemerals.append(ephemeral)
        if origin.kind == "command":  # a command's later replace_original replaces its own last answer
            origin.message_ts, origin.is_ephemeral = ephemeral.ts, True


def _original(ws: SlackWorkspace, origin: ResponseUrl) -> Message | Ephemeral:
    """The message a replace_original / delete_original means: the clicked one, or the command's answer."""
    target: Message | Ephemeral | None = None
    if origin.message_ts is not None:
        if origin.is_ephemeral:
            target = ws.ephemeral(origin.channel, origin.user, origin.message_ts)
        else:
            target = ws.message(origin.channel, origin.message_ts)
    if target is None:
        raise ApiError(404, "message_not_found", "there is no original message to replace or delete")
    return target


# --- reading the workspace -----------------------------------------------------------------------------------


def _messages(world: World, request: Request) -> list[dict[str, Any]]:
    with world.lock:
        ws = _workspace(world)
        channel = _channel(ws, {"channel": request.arg("channel") or ""})
        thread_ts = request.arg("thread_ts")
        shown = ws.thread(channel.id, thread_ts) if thread_ts else ws.channel_view(channel.id)
        return [m.to_record() for m in shown]


def _ephemeral(world: World, request: Request) -> list[dict[str, Any]]:
    with world.lock:
        ws = _workspace(world)
        channel = _channel(ws, {"channel": request.arg("channel")}).id if request.arg("channel") else None
        user = _user(ws, {"user": request.arg("user")}).id if request.arg("user") else None
        return [
            e.to_record()
            for e in ws.ephemerals
            if not e.deleted and (channel is None or e.channel == channel) and (user is None or e.user == user)
        ]


def _home(world: World, request: Request) -> dict[str, Any]:
    """One person's Home tab: the last view published to them and how many times (0 and no view: never)."""
    with world.lock:
        ws = _workspace(world)
        user = _user(ws, {"user": request.arg("user") or ""})
        home = ws.homes.get(user.id)
        if home is None:
            return {"user": user.id, "view_id": None, "view": None, "hash": None, "publishes": 0, "published_at": None}
        return home.to_record()


def _pace(world: World, request: Request) -> dict[str, Any]:
    """GET: one channel's posting figures (sandbox.slack_pace). POST: switch Slack's posting limit on or off,
    `{"enforce": bool, "per_second": 1, "burst": 3}`; the answer names the settings now in force."""
    with world.lock:
        ws = _workspace(world)
        if request.method == "POST":
            body = _body(request)
            try:
                ws.pace.configure(
                    enforce=_flag(body.get("enforce", ws.pace.enforce)),
                    per_second=float(body.get("per_second", ws.pace.per_second)),
                    burst=int(body.get("burst", ws.pace.burst)),
                )
            except (TypeError, ValueError) as error:
                raise ControlError(400, f"pace settings: {error}") from None
            return {"enforce": ws.pace.enforce, "per_second": ws.pace.per_second, "burst": ws.pace.burst}
        channel = _channel(ws, {"channel": request.arg("channel") or ""})
        return ws.pace.figures(channel.id)


def _config(world: World, body: dict[str, Any]) -> dict[str, Any]:
    with world.lock:
        ws = _workspace(world)
        if "request_url" in body:
            url = body["request_url"]
            if url is not None and not str(url).startswith(("http://", "https://")):
                raise ControlError(400, f"request_url must be an http(s) URL (got {url!r})")
            ws.request_url = url
        if "trigger_ttl_s" in body:
            ws.trigger_ttl_s = float(body["trigger_ttl_s"])
        hub = hub_for(ws)
        if "mode" in body:
            if hub is None:
                raise ControlError(409, "this Slack stand-in serves no Socket Mode, so its mode cannot be set")
            if body["mode"] not in MODES:
                raise ControlError(400, f"mode must be one of {', '.join(MODES)} (got {body['mode']!r})")
            hub.mode = body["mode"]
        socket = {"mode": hub.mode, "socket_connections": hub.connections} if hub is not None else {}
        return {"request_url": ws.request_url, "trigger_ttl_s": ws.trigger_ttl_s, **socket}


# --- helpers -------------------------------------------------------------------------------------------------


def _body(request: Request) -> dict[str, Any]:
    try:
        body = request.json()
    except ValueError as error:
        raise ControlError(400, f"the body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise ControlError(400, "the body must be a JSON object")
    return body


def _workspace(world: World) -> SlackWorkspace:
    if world.slack is None:
        raise ControlError(409, "this sandbox has no Slack workspace")
    workspace: SlackWorkspace = world.slack
    return workspace


def _user(ws: SlackWorkspace, body: dict[str, Any]) -> User:
    ref = str(body.get("user") or "")
    user = ws.user(ref) if ref else None
    if user is None:
        known = ", ".join(f"{u.id} (@{u.name})" for u in ws.users.values() if not u.is_bot and u.id != SLACKBOT_ID)
        raise ControlError(404, f"no user {ref!r}; the workspace has {known}")
    return user


def _channel(ws: SlackWorkspace, body: dict[str, Any]) -> Channel:
    ref = str(body.get("channel") or "")
    channel = ws.channel(ref) if ref else None
    if channel is None:
        known = ", ".join(f"{c.id} (#{c.name})" for c in ws.channels.values() if not c.is_im)
        raise ControlError(404, f"no channel {ref!r}; the workspace has {known}")
    return channel


def _target(ws: SlackWorkspace) -> str | SocketModeHub:
    """Where the app listens: its Socket Mode connection (see slack_socket.socket_target), else its request URL."""
    hub = socket_target(ws)
    if hub is not None:
        return hub
    if not ws.request_url:
        raise ControlError(
            409, "no request URL configured and no Socket Mode connection open: POST /_sandbox/slack/config "
                 "{\"request_url\": …} first, or connect an app with the app token"
        )
    return ws.request_url


def _stand_in_url(world: World) -> str:
    url = world.endpoints.get("slack")
    if not url:
        raise ControlError(409, "the Slack stand-in is not listening yet, so there is no response_url to hand out")
    return str(url)


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")
