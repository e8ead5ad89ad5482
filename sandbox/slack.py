"""The Slack Web API stand-in: the methods ackmigrate calls, answered the way slack.com answers them.

`slack_sdk.WebClient(base_url=SLACK_API_URL)` and Bolt talk to it unchanged: `/api/<method>` with a
form or JSON body, the token as `Authorization: Bearer` (or a `token` form field), HTTP 200 with
`{"ok": false, "error": …}` for every API error, HTTP 429 with `Retry-After` when rate limited. The
`response_url`s handed out with slash commands and clicks are served here too (`/response/<id>`).
`apps.connections.open` (app-level token) opens Socket Mode, served by `sandbox.slack_socket`.

The control side (delivering signed commands and clicks to the bot, reading what the channel shows)
lives in `sandbox.slack_delivery`; the workspace model in `sandbox.slack_workspace`.
"""

from __future__ import annotations

import functools
import json
import re
import secrets
import string
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from sandbox import slack_files
from sandbox.httpserver import ApiError, Request, Response, Route
from sandbox.slack_blocks import BlocksError, validate_blocks, validate_view
from sandbox.slack_delivery import handle_slack_control, respond_to_response_url
from sandbox.slack_pace import retry_after_header
from sandbox.slack_render import render_message_text
from sandbox.slack_socket import hub_for
from sandbox.slack_workspace import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    SCOPES,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
    Channel,
    Ephemeral,
    HomeTab,
    Message,
    OpenedView,
    SlackWorkspace,
)

if TYPE_CHECKING:
    from sandbox.world import World

__all__ = ["SlackService", "SlackWorkspace", "handle_slack_control", "render_message_text"]

MAX_TEXT = 40_000
MAX_VIEW_BYTES = 250_000
"""views.publish refuses a view over 250 kB with `view_too_large` (https://api.slack.com/methods/views.publish)."""
RETRY_AFTER_S = "1"
"""Seconds a rate-limited caller is told to wait: Slack says 1–60; 1 keeps retrying tests quick."""

Params = dict[str, Any]
Method = Callable[[SlackWorkspace, Params], dict[str, Any]]


class SlackError(ApiError):
    """An `ok: false` answer: HTTP 200 like Slack, optionally with `errors` / `response_metadata`."""

    def __init__(self, code: str, *, status: int = 200, messages: list[str] | None = None, **extra: Any) -> None:
        super().__init__(status, code, code)
        self.extra: dict[str, Any] = dict(extra)
        if messages:
            self.extra["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in messages]}


class SlackService:
    """The `Service` the shared ServiceServer drives: routing, token checks, Slack-shaped errors."""

    name = "slack"

    def __init__(self, world: World) -> None:
        self.world = world

    @property
    def workspace(self) -> SlackWorkspace:
        workspace: SlackWorkspace = self.world.slack
        return workspace

    # --- Service protocol ----------------------------------------------------------------------------

    def route(self, request: Request) -> Route | None:
        if request.path.startswith("/api/"):
            method_name = request.path[len("/api/"):]
            if method_name == "apps.connections.open":  # answered by the Socket Mode hub, not the workspace
                return Route(action=method_name, handler=self._connections_open)
            if method_name == "files.getUploadURLExternal":  # hands out a URL on this stand-in
                return Route(action=method_name, handler=self._get_upload_url)
            method = METHODS.get(method_name)
            if method is None:
                return Route(action=method_name, handler=_unknown_method, authenticate=False)
            return Route(
                action=method_name,
                handler=functools.partial(self._call, method),
                authenticate=method_name not in UNAUTHENTICATED,
            )
        if request.path.startswith("/upload/") and request.method == "POST":  # pre-signed: no token
            return Route(action="upload", handler=self._upload, authenticate=False)
        if request.path.startswith("/response/") and request.method == "POST":
            return Route(action="response_url", handler=self._response_url, authenticate=False)
        return None

    def authenticate(self, request: Request, route: Route) -> None:
        token = _token(request)
        if not token:
            raise SlackError("not_authed")
        hub = hub_for(self.workspace)
        app_token = hub.app_token if hub is not None else None
        wants_app_token = route.action in APP_TOKEN_METHODS
        if token == (app_token if wants_app_token else self.workspace.bot_token):
            return
        if token in (app_token, self.workspace.bot_token):  # a real token, of the other kind
            raise SlackError("not_allowed_token_type")
        raise SlackError("invalid_auth")

    def error(self, request: Request, error: ApiError, request_id: str) -> Response:
        code = _slack_code(error)
        headers = {"X-Slack-Req-Id": request_id}
        body: dict[str, Any] = {"ok": False, "error": code}
        if isinstance(error, SlackError):
            body.update(error.extra)
        if error.status == 429:
            headers["Retry-After"] = error.headers.get("Retry-After", RETRY_AFTER_S)
            return Response.json(body, status=429, headers=headers)
        if request.path.startswith("/response/"):
            return Response.json(body, status=error.status if error.status >= 400 else 400, headers=headers)
        if error.status >= 500 or error.status == 404 and code == "unknown_method":
            return Response.json(body, status=error.status, headers=headers)
        return Response.json(body, status=200, headers=headers)  # Slack reports API errors with HTTP 200

    # --- handlers ------------------------------------------------------------------------------------

    def _connections_open(self, request: Request) -> Response:
        """apps.connections.open: a Socket Mode URL, or why this stand-in cannot give one."""
        hub = hub_for(self.workspace)
        if hub is None:
            raise SlackError("internal_error", messages=["this Slack stand-in serves no Socket Mode"])
        return Response.json({"ok": True, "url": hub.open_connection()})

    def _call(self, method: Method, request: Request) -> Response:
        params = _params(request)
        with self.world.lock:
            data = method(self.workspace, params)
        return Response.json({"ok": True, **data}, headers={"X-OAuth-Scopes": SCOPES})

    def _get_upload_url(self, request: Request) -> Response:
        params = _params(request)
        with self.world.lock:
            try:
                data = slack_files.get_upload_url(self.workspace, params, base_url=self.world.endpoints["slack"])
            except slack_files.UploadError as error:
                raise SlackError(error.code) from None
        return Response.json({"ok": True, **data}, headers={"X-OAuth-Scopes": SCOPES})

    def _upload(self, request: Request) -> Response:
        with self.world.lock:
            try:
                size = slack_files.receive_bytes(self.workspace, request.path[len("/upload/"):], request.body)
            except slack_files.UploadError as error:
                return Response.text(error.code, status=404 if error.code == "file_not_found" else 400)
        return Response.text(f"OK - {size}")

    def _response_url(self, request: Request) -> Response:
        try:
            body = request.json()
        except ValueError:
            raise SlackError("invalid_payload", status=400) from None
        if not isinstance(body, dict):
            raise SlackError("invalid_payload", status=400)
        response_id = request.path[len("/response/"):]
        with self.world.lock:
            respond_to_response_url(self.workspace, response_id, body)
        return Response.json({"ok": True})


# --- request parsing -------------------------------------------------------------------------------------


def _is_json(request: Request) -> bool:
    return "application/json" in request.header("content-type").lower()


def _params(request: Request) -> Params:
    """Query string plus body, form-encoded or JSON: Slack accepts both for every write method."""
    params: Params = dict(request.query)
    if not request.body:
        return params
    if _is_json(request):
        try:
            body = json.loads(request.body)
        except ValueError:
            raise SlackError("invalid_json") from None
        if not isinstance(body, dict):
            raise SlackError("json_not_object")
        params.update(body)
    else:
        params.update(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def _token(request: Request) -> str:
    """Bearer header first; a `token` field only in a query or form body, never inside JSON (as Slack)."""
    auth = request.header("authorization")
    if auth.lower().startswith("bearer "):
        return auth[len("bearer "):].strip()
    token = request.arg("token")
    if token:
        return token
    if request.body and not _is_json(request):
        return dict(parse_qsl(request.body.decode("utf-8", "replace"))).get("token", "")
    return ""


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def _required(params: Params, name: str, code: str = "invalid_arguments") -> str:
    value = params.get(name)
    if value is None or value == "":
        raise SlackError(code, messages=[f"missing required field: {name}"])
    return str(value)


_SLACK_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


def _slack_code(error: ApiError) -> str:
    """Slack's own words for a failure; an injected fault's generic code becomes the matching one."""
    if error.status == 429:
        return "ratelimited"
    if _SLACK_CODE.match(error.code):
        return error.code
    if error.status == 404 and error.code == "InvalidAction.NotFound":
        return "unknown_method"
    return {
        400: "invalid_arguments",
        401: "invalid_auth",
        403: "access_denied",
        404: "not_found",
        500: "internal_error",
        502: "fatal_error",
        503: "service_unavailable",
        504: "request_timeout",
    }.get(error.status, "fatal_error" if error.status >= 500 else "invalid_arguments")


def _unknown_method(request: Request) -> Response:
    raise SlackError("unknown_method", status=404, req_method=request.path[len("/api/"):])


# --- shared pieces of the methods --------------------------------------------------------------------------


def _blocks_error(error: BlocksError) -> SlackError:
    return SlackError(error.code, messages=error.errors, errors=error.errors)


def _content(params: Params) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """text, blocks, attachments of a message; `no_text` when there is nothing to show."""
    text = str(params.get("text") or "")
    try:
        blocks = validate_blocks(params["blocks"]) if params.get("blocks") not in (None, "") else []
    except BlocksError as error:
        raise _blocks_error(error) from None
    attachments = _attachments(params)
    if not text and not blocks and not attachments:
        raise SlackError("no_text")
    if len(text) > MAX_TEXT:
        raise SlackError("msg_too_long")
    return text, blocks, attachments


def _json_field(params: Params, name: str, code: str) -> Any:
    """A field that holds JSON: a string in a form body, the value itself in a JSON body."""
    raw = params.get(name)
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        raise SlackError(code, messages=[f"{name} is not valid JSON"]) from None


def _attachments(params: Params) -> list[dict[str, Any]]:
    if params.get("attachments") in (None, ""):
        return []
    value = _json_field(params, "attachments", "invalid_attachments")
    if not isinstance(value, list):
        raise SlackError("invalid_attachments")
    return value


def _metadata(params: Params) -> dict[str, Any] | None:
    if params.get("metadata") in (None, ""):
        return None
    value = _json_field(params, "metadata", "invalid_metadata_format")
    if not isinstance(value, dict):
        raise SlackError("invalid_metadata_format")
    return value


def _limit(params: Params, default: int = 100) -> int:
    raw = params.get("limit") or default
    try:
        return max(1, min(int(raw), 1000))
    except (TypeError, ValueError):
        raise SlackError("invalid_limit") from None


def _channel(ws: SlackWorkspace, params: Params, name: str = "channel") -> Channel:
    ref = str(params.get(name) or "")
    channel = ws.channel(ref) if ref else None
    if channel is None and ref.startswith(("U", "W")) and ws.user(ref) is not None:
        channel = ws.im_channel(ref)  # posting to a user id opens the bot's DM with them
    if channel is None:
        raise SlackError("channel_not_found")
    return channel


def _bot_channel(ws: SlackWorkspace, params: Params) -> Channel:
    """A channel the bot may write to or read: it must have been invited, as in a real workspace."""
    channel = _channel(ws, params)
    if BOT_USER_ID not in channel.members:
        raise SlackError("not_in_channel")
    return channel


def _thread_root(ws: SlackWorkspace, channel: Channel, thread_ts: str | None) -> str | None:
    """Replying to a reply lands in the same thread, as in Slack."""
    if not thread_ts:
        return None
    target = ws.message(channel.id, thread_ts)
    if target is not None and target.is_reply:
        return target.thread_ts
    return thread_ts


# --- the methods ------------------------------------------------------------------------------------------


def api_test(ws: SlackWorkspace, params: Params) -> dict[str, Any]:
    if params.get("error"):
        raise SlackError(str(params["error"]))
    return {"args": {k: v for k, v in params.items() if k != "token"}}


def auth_test(ws: SlackWorkspace, params: Params) -> dict[str, Any]:
    return {
        "url": f"https://{TEAM_DOMAIN}.slack.com/",
        "team": TEAM_NAME,
        "user": "ackmigrate",
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


def _paced(ws: SlackWorkspace, channel: Channel) -> None:
    """Slack's per-channel posting limit, when the control API switched it on (sandbox.slack_pace)."""
    wait_s = ws.pace.admit(channel.id)
    if wait_s is not None:
        error = SlackError("ratelimited", status=429)
        error.headers["Retry-After"] = retry_after_header(wait_s)
        raise error


def chat_post_message(ws: SlackWorkspace, params: Params) -> dict[str, Any]:
    channel = _bot_channel(ws, params)
    text, blocks, attachments = _content(params)
    _paced(ws, channel)
    thread_ts = _thread_root(ws, channel, params.get("thread_ts") or None)
    message = ws.add_message(
        Message(
            channel=channel.id,
            ts=ws.next_ts(),
            user=BOT_USER_ID,
            text=text,
            blocks=blocks,
            attachments=attachments,
            thread_ts=thread_ts,
            reply_broadcast=bool(thread_ts) and _flag(params.get("reply_broadcast")),
            bot_id=BOT_ID,
            metadata=_metadata(params),
        )
    )
    ws.pace.record(channel.id, "chat.postMessage")
    return {"channel": channel.id, "ts": message.ts, "message": message.to_api()}


def chat_update(ws: SlackWorkspace, params: Params) -> dict[str, Any]:
    channel = _channel(ws, params)
    ts = _required(params, "ts", "message_not_found")
    message = ws.message(channel.id, ts)
    if message is None:
        raise SlackError("message_not_found")
    if message.user != BOT_USER_ID:
        raise SlackError("cant_update_message")
    has_text, has_blocks = "text" in params, "blocks" in params
    if not has_text and not has_blocks and "attachments" not in params:
        raise SlackError("no_text")
    # Slack keeps the previous blocks when `blocks` is left out; an empty array removes them.
    try:
        blocks = validate_blocks(params["blocks"] or []) if has_blocks else message.blocks
    except BlocksError as error:
        raise _blocks_error(error) from None
    text = str(params.get("text") or "") if has_text else message.text
    if not text and not blocks and not message.attachments and "attachments" not in params:
        raise SlackError("no_text")
    if len(text) > MAX_TEXT:
        raise SlackError("msg_too_long")
    if "attachments" in params:
        message.attachments = _attachments(params)
    ws.edit_message(message, text=text, blocks=blocks, editor=BOT_USER_ID)
    ws.pace.record(channel.id, "chat.update")
    return {"channel": channel.id, "ts": message.ts, "text": message.text, "message": message.to_api()}


def chat_delete(ws: SlackWorkspace, params: Params) -> dict[str, Any]:
    channel = _channel(ws, params)
    message = ws.message(channel.id, _required(params, "ts", "message_not_found"))
    if message is None:
        raise SlackError("message_not_found")
    if message.user != BOT_USER_ID:
        raise SlackError("cant_delete_message")
    message.deleted = True
    return {"channel": channel.id, "ts": message.ts}


def chat_post_ephemeral(ws: SlackWorkspace, params: Params) -> dict[str, Any]:
    channel = _bot_channel(ws, params)
    user = ws.user(_required(params, "user", "user_not_found"))
    if user is None:
        raise SlackError("user_not_found")
    if user.id not in channel.members:
        raise SlackError("user_not_in_channel")
    text, blocks, _ = _content(params)
    ephemeral = Ephemeral(
        channel=channel.id,
        user=user.id,
        ts=ws.next_ts(),
        text=text,
        blocks=blocks,
        thread_ts=_thread_root(ws, channel, params.get("thread_ts") or None),
    )
    ws.ephemerals.append(ephemeral)
    return {"message_ts": ephemeral.ts}


def chat_get_permalink(ws: SlackWorkspace, params: Params) -> dict[str, Any]:
    channel = _channel(ws, params)
    message = ws.message(channel.id, _required(params, "message_ts", "message_not_found"))
    if message is None:
        raise SlackError("message_not_found")
    return {"channel": channel.id, "permalink": ws.permalink(channel.id, message)}


def users_info(ws: SlackWorkspace, params: Params) -> dict[str, Any]:
    user = ws.users.get(_required(params, "user", "user_not_found"))
    if user is None:
        raise SlackError("user_not_found")
    return {"user": user.to_api()}


def users_list(ws: SlackWorkspace, params: Params) -> dict[str, Any]:
    return {
        "members": [u.to_api() for u in ws.users.values()],
        "cache_ts": int(time.time()),
        "response_metadata": {"next_cursor": ""},
    }


def users_lookup_by_email(ws: SlackWorkspace, params: Params) -> dict[str, Any]:
    email = _required(params, "email", "users_not_found").lower()
    user = next((u for u in ws.users.values() if u.email.lower() == email), None)
    if user is None:
        raise SlackError("users_not_found")
    return {"user": user.to_api()}


def usergroups_list(ws: SlackWorkspace, params: Params) -> dict[str, Any]:
    include_users = _flag(params.get("include_users"))
    return {"usergroups": [g.to_api(include_users=include_users) for g in ws.usergroups.values()]}


def usergroups_users_list(ws: SlackWorkspace, params: Params) -> dict[str, Any]:
    group = ws.usergroups.get(_required(params, "usergroup", "no_such_subteam"))
    if group is None:
        raise SlackError("no_such_subteam")
    return {"users": list(group.users)}


def conversations_info(ws: SlackWorkspace, params: Params) -> dict[str, Any]:
    channel = _channel(ws, params)
    return {
        "channel": channel.to_api(for_user=BOT_USER_ID, include_num_members=_flag(params.get("include_num_members")))
    }


def conversations_members(ws: SlackWorkspace, params: Params) -> dict[str, Any]:
    channel = _channel(ws, params)
    return {"members": sorted(channel.members), "response_metadata": {"next_cursor": ""}}


def conversations_history(ws: SlackWorkspace, params: Params) -> dict[str, Any]:
    """Newest first, from `oldest` on, a page at a time; metadata only with `include_all_metadata`."""
    channel = _bot_channel(ws, params)
    oldest = _float(params.get("oldest"), "invalid_ts_oldest")
    messages = [m for m in reversed(ws.channel_view(channel.id)) if oldest is None or float(m.ts) > oldest]
    return {**_page(messages, params), "pin_count": 0}


def conversations_replies(ws: SlackWorkspace, params: Params) -> dict[str, Any]:
    """The parent, then the replies oldest first, a page at a time, as Slack answers it."""
    channel = _bot_channel(ws, params)
    ts = _required(params, "ts", "thread_not_found")
    thread = ws.thread(channel.id, _thread_root(ws, channel, ts) or ts)
    if not thread:
        raise SlackError("thread_not_found")
    return _page(thread, params)


def _page(messages: list[Message], params: Params) -> dict[str, Any]:
    """One page of a message list: Slack's cursor paging, and metadata only when asked for.

    Without `include_all_metadata` Slack leaves message metadata out of history and replies
    (https://api.slack.com/methods/conversations.replies#arg_include_all_metadata).
    """
    limit = _limit(params)
    cursor = str(params.get("cursor") or "")
    try:
        start = int(cursor.removeprefix("page:")) if cursor else 0
    except ValueError:
        raise SlackError("invalid_cursor") from None
    chosen = messages[start:start + limit]
    more = start + limit < len(messages)
    with_metadata = _flag(params.get("include_all_metadata"))
    return {
        "messages": [m.to_api(with_metadata=with_metadata) for m in chosen],
        "has_more": more,
        "response_metadata": {"next_cursor": f"page:{start + limit}" if more else ""},
    }


def _float(value: Any, code: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SlackError(code) from None


def files_complete_upload_external(ws: SlackWorkspace, params: Params) -> dict[str, Any]:
    try:
        return slack_files.complete(ws, params)
    except slack_files.UploadError as error:
        raise SlackError(error.code) from None


def views_open(ws: SlackWorkspace, params: Params) -> dict[str, Any]:
    trigger_id = _required(params, "trigger_id", "invalid_trigger_id")
    trigger = ws.triggers.get(trigger_id)
    if trigger is None:
        raise SlackError("invalid_trigger_id")
    if trigger.used or time.time() - trigger.created > ws.trigger_ttl_s:
        raise SlackError("expired_trigger_id")
    view = _view(params)
    trigger.used = True
    opened = OpenedView(id=_view_id(), user=trigger.user, trigger_id=trigger_id, view=view, method="views.open")
    ws.views.append(opened)
    return {"view": _view_api(opened)}


def views_update(ws: SlackWorkspace, params: Params) -> dict[str, Any]:
    view_id, external_id = params.get("view_id"), params.get("external_id")
    opened = next(
        (v for v in reversed(ws.views) if v.id == view_id or (external_id and v.view.get("external_id") == external_id)),
        None,
    )
    if opened is None:
        raise SlackError("not_found")
    updated = OpenedView(id=opened.id, user=opened.user, trigger_id=None, view=_view(params), method="views.update")
    ws.views.append(updated)
    return {"view": _view_api(updated)}


def views_publish(ws: SlackWorkspace, params: Params) -> dict[str, Any]:
    """Publish a Home tab view for one person, as https://api.slack.com/methods/views.publish describes it.

    `user_id` and `view` are required; the view must be of type `home` and at most 100 blocks (checked
    like any view); over 250 kB it is `view_too_large`; an unknown user is `invalid_arguments` ("invalid
    `user_id`", Slack's own example). A `hash` that is not the current one is `hash_conflict`: the guard
    against two publishers overwriting each other.
    """
    user_id = _required(params, "user_id")
    user = ws.users.get(user_id)
    if user is None or user.is_bot:
        raise SlackError("invalid_arguments", messages=["invalid `user_id`"])
    view = _view(params)
    if view.get("type") != "home":
        raise SlackError("invalid_arguments", messages=["views.publish takes a view of type home [json-pointer:/view/type]"])
    if len(json.dumps(view).encode()) > MAX_VIEW_BYTES:
        raise SlackError("view_too_large")
    current = ws.homes.get(user_id)
    expected = params.get("hash")
    if expected not in (None, "") and (current is None or str(expected) != current.hash):
        raise SlackError("hash_conflict")
    new_hash = f"{int(time.time())}.{secrets.token_hex(4)}"
    if current is None:
        current = ws.homes[user_id] = HomeTab(user=user_id, id=_view_id(), view=view, hash=new_hash)
    else:
        current.view, current.hash, current.published_at = view, new_hash, time.time()
        current.publishes += 1
    return {"view": _home_api(current)}


def _home_api(home: HomeTab) -> dict[str, Any]:
    view = home.view
    return {
        "id": home.id,
        "team_id": TEAM_ID,
        "type": "home",
        "close": None,
        "submit": None,
        "blocks": view.get("blocks", []),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "external_id": view.get("external_id", ""),
        "state": {"values": {}},
        "hash": home.hash,
        "clear_on_close": False,
        "notify_on_close": False,
        "root_view_id": home.id,
        "previous_view_id": None,
        "app_id": APP_ID,
        "app_installed_team_id": TEAM_ID,
        "bot_id": BOT_ID,
    }


def _view(params: Params) -> dict[str, Any]:
    if params.get("view") in (None, ""):
        raise SlackError("invalid_arguments", messages=["missing required field: view"])
    try:
        return validate_view(params["view"])
    except BlocksError as error:
        raise SlackError(error.code, messages=error.errors) from None


def _view_id() -> str:
    return "V0" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(9))


def _view_api(opened: OpenedView) -> dict[str, Any]:
    view = opened.view
    return {
        "id": opened.id,
        "team_id": TEAM_ID,
        "type": view.get("type"),
        "title": view.get("title"),
        "submit": view.get("submit"),
        "close": view.get("close"),
        "blocks": view.get("blocks", []),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "external_id": view.get("external_id", ""),
        "state": {"values": {}},
        "hash": f"{int(opened.time)}.{secrets.token_hex(4)}",
        "clear_on_close": bool(view.get("clear_on_close")),
        "notify_on_close": bool(view.get("notify_on_close")),
        "root_view_id": opened.id,
        "previous_view_id": None,
        "app_id": APP_ID,
        "bot_id": BOT_ID,
    }


METHODS: dict[str, Method] = {
    "api.test": api_test,
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.getPermalink": chat_get_permalink,
    "users.info": users_info,
    "users.list": users_list,
    "users.lookupByEmail": users_lookup_by_email,
    "usergroups.list": usergroups_list,
    "usergroups.users.list": usergroups_users_list,
    "conversations.info": conversations_info,
    "conversations.members": conversations_members,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
    "views.open": views_open,
    "files.completeUploadExternal": files_complete_upload_external,
    "views.update": views_update,
    "views.publish": views_publish,
}
UNAUTHENTICATED = {"api.test"}
APP_TOKEN_METHODS = {"apps.connections.open"}
"""Methods that take the app-level token (xapp-…); every other method takes the bot token."""
