"""A person working in a modal the app opened: opening a picker, choosing, typing, and pressing Submit.

Slack keeps a modal's state in the person's client and tells the app about it only at a few moments; the
stand-in does the same. Opening (or typing in) an `external_select` sends the app a `block_suggestion` and
shows what it answered (`{"options": [...]}`); a person can pick only an option they were shown. Radio
buttons, static selects and text inputs change the state without telling the app (no `dispatch_action` is
simulated). Submit first checks what the client checks (required inputs, `max_length`), then sends a
`view_submission` with the whole state and acts on the answer: none or `{}` closes the modal,
`response_action: errors` keeps it open with each error on its block, `update` replaces it, `clear` closes it.
Both go to the request URL as signed form posts, or over Socket Mode as `interactive` envelopes
(https://docs.slack.dev/reference/interaction-payloads/block_suggestion-payload,
https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload).

Control routes (`/_sandbox/slack/views/…`): `options` {user, view_id, action_id, query} · `pick` {…, value} ·
`choose` {user, view_id, action_id, value} · `type` {user, view_id, action_id, text} · `submit` {user, view_id}.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.httpserver import Request, Response
from sandbox.slack_blocks import BlocksError, validate_view
from sandbox.slack_delivery import (
    ACK_DEADLINE_S,
    ControlError,
    _body,
    _post_signed,
    _target,
    _user,
    _workspace,
)
from sandbox.slack_socket import SocketModeHub
from sandbox.slack_workspace import (
    APP_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    VERIFICATION_TOKEN,
    OpenedView,
    SlackWorkspace,
    User,
)

if TYPE_CHECKING:
    from sandbox.world import World

_states: weakref.WeakKeyDictionary[SlackWorkspace, dict[str, dict[str, Any]]] = weakref.WeakKeyDictionary()
"""view id → its state values and whether it is closed, per workspace (the workspace stays a plain model)."""


def handle_view_control(world: World, request: Request, route: str) -> Response:
    body = _body(request)
    actions = {"options": suggest, "pick": pick, "choose": choose, "type": type_text, "submit": submit}
    handler = actions.get(route)
    if handler is None or request.method != "POST":
        raise ControlError(404, f"no view route {request.method} {route}; try POST {', '.join(actions)}")
    return Response.json(handler(world, body))


# --- the person's actions -------------------------------------------------------------------------------


def suggest(world: World, body: dict[str, Any]) -> dict[str, Any]:
    """Open (or type `query` in) an external_select: the options the app answers with."""
    query = str(body.get("query") or "")
    with world.lock:
        ws = _workspace(world)
        found = _input(ws, body, ("external_select", "multi_external_select"))
        if len(query) < int(found.element.get("min_query_length", 3)):
            return {"options": [], "delivered": False, "note": "fewer characters than min_query_length: Slack waits"}
        payload = {**_common(found.user), "type": "block_suggestion",
                   "container": {"type": "view", "view_id": found.opened.id},
                   "action_id": found.element["action_id"], "block_id": found.block_id, "value": query,
                   "view": _view_payload(found.opened, found.state)}
        target = _target(ws)
    answer = _send(ws, target, payload)
    options = _options(answer)
    with world.lock:
        ws.deliveries.append({"kind": "block_suggestion", "payload": payload, **answer})
    return {**answer, "options": options, "delivered": True}


def pick(world: World, body: dict[str, Any]) -> dict[str, Any]:
    """Type `query` in an external_select and pick the option whose value is `value` among those shown."""
    shown = suggest(world, body)
    value = str(body.get("value") or "")
    option = next((o for o in shown["options"] if o.get("value") == value), None)
    if option is None:
        offered = ", ".join(str(o.get("value")) for o in shown["options"]) or "none"
        raise ControlError(409, f"no option {value!r} among those shown for {body.get('query')!r} (shown: {offered})")
    with world.lock:
        _input(_workspace(world), body, ("external_select", "multi_external_select")).set(selected_option=option)
    return {"selected_option": option, "options": shown["options"]}


def choose(world: World, body: dict[str, Any]) -> dict[str, Any]:
    """Choose the option `value` of a radio group or static select (the app is not told until submit)."""
    value = str(body.get("value") or "")
    with world.lock:
        found = _input(_workspace(world), body, ("radio_buttons", "static_select"))
        option = next((o for o in found.element.get("options") or [] if o.get("value") == value), None)
        if option is None:
            raise ControlError(409, f"{found.element['action_id']!r} has no option {value!r}")
        found.set(selected_option=option)
        return {"selected_option": option}


def type_text(world: World, body: dict[str, Any]) -> dict[str, Any]:
    """Type `text` in a plain_text_input; the client stops at its max_length, as Slack's does."""
    text = str(body.get("text") or "")
    with world.lock:
        found = _input(_workspace(world), body, ("plain_text_input",))
        limit = found.element.get("max_length")
        kept = text[: int(limit)] if limit else text
        found.set(value=kept)
        return {"value": kept}


def submit(world: World, body: dict[str, Any]) -> dict[str, Any]:
    """Press the modal's submit button: the app's answer, and what the person sees next."""
    with world.lock:
        ws = _workspace(world)
        user, opened, state = _open_view(ws, body)
        missing = _missing_required(opened, state)
        if missing:
            raise ControlError(409, f"Slack's client would not submit: required field(s) {', '.join(missing)} empty")
        payload = {**_common(user), "type": "view_submission", "trigger_id": ws.new_trigger(user.id).id,
                   "view": _view_payload(opened, state), "response_urls": []}
        target = _target(ws)
    answer = _send(ws, target, payload)
    with world.lock:
        outcome = _apply_answer(ws, opened, state, answer)
        ws.deliveries.append({"kind": "view_submission", "payload": payload, **answer})
    return {**answer, **outcome}


# --- the app's answers ---------------------------------------------------------------------------------


def _options(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The options a block_suggestion answer holds, refused as Slack refuses a malformed one."""
    content = _json_answer(answer, "block_suggestion")
    options = content.get("options")
    if options is None and content.get("option_groups") is not None:
        options = [o for group in content["option_groups"] for o in group.get("options") or []]
    if not isinstance(options, list) or len(options) > 100:
        raise ControlError(502, f"the app answered options Slack would not show: {str(content)[:300]}")
    for option in options:
        if not (isinstance(option, dict) and isinstance(option.get("value"), str) and len(option["value"]) <= 150
                and isinstance(option.get("text"), dict) and 0 < len(str(option["text"].get("text"))) <= 75):
            raise ControlError(502, f"the app answered an option Slack would refuse: {str(option)[:300]}")
    return options


def _apply_answer(ws: SlackWorkspace, opened: OpenedView, state: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    content = _json_answer(answer, "view_submission") if answer.get("body", "").strip() else {}
    action = content.get("response_action")
    if action is None or action == "clear":
        state["closed"] = True
        return {"closed": True, "errors": {}}
    if action == "errors":
        errors = content.get("errors")
        block_ids = {str(b.get("block_id")) for b in opened.view.get("blocks") or []}
        if not isinstance(errors, dict) or not errors or not set(errors) <= block_ids:
            raise ControlError(502, f"the app answered errors Slack would refuse (unknown block or empty): {errors}")
        return {"closed": False, "errors": errors}
    if action in ("update", "push"):
        try:
            view = validate_view(content.get("view"))
        except BlocksError as error:
            raise ControlError(502, f"the app answered a view Slack would refuse: {error}") from None
        ws.views.append(OpenedView(id=opened.id, user=opened.user, trigger_id=None, view=view,
                                   method=f"response_action:{action}"))
        return {"closed": False, "errors": {}}
    raise ControlError(502, f"unknown response_action {action!r}")


def _json_answer(answer: dict[str, Any], kind: str) -> dict[str, Any]:
    if answer.get("status") != 200 or answer.get("late"):
        raise ControlError(502, f"the app did not answer the {kind} in time: {answer}")
    try:
        content = json.loads(answer.get("body") or "{}")
    except ValueError:
        raise ControlError(502, f"the app's answer to the {kind} is not JSON: {answer.get('body')!r}") from None
    if not isinstance(content, dict):
        raise ControlError(502, f"the app's answer to the {kind} is not an object: {content!r}")
    return content


# --- pieces ---------------------------------------------------------------------------------------------


def _send(ws: SlackWorkspace, target: str | SocketModeHub, payload: dict[str, Any]) -> dict[str, Any]:
    """An interaction whose answer Slack reads: to the request URL (also the options load URL here) or as an
    `interactive` envelope over Socket Mode."""
    if isinstance(target, SocketModeHub):
        return target.deliver("interactive", payload, accepts_response_payload=True, timeout=ACK_DEADLINE_S)
    return _post_signed(ws.signing_secret, target, urllib.parse.urlencode({"payload": json.dumps(payload)}))


def _open_view(ws: SlackWorkspace, body: dict[str, Any]) -> tuple[User, OpenedView, dict[str, Any]]:
    user = _user(ws, body)
    view_id = str(body.get("view_id") or "")
    opened = next((v for v in reversed(ws.views) if v.id == view_id), None)
    if opened is None or opened.user != user.id:
        raise ControlError(404, f"@{user.name} has no modal {view_id!r} open")
    state = _states.setdefault(ws, {}).setdefault(view_id, {"values": _initial_values(opened), "closed": False})
    if state["closed"]:
        raise ControlError(409, f"modal {view_id} is closed")
    return user, opened, state


def _initial_values(opened: OpenedView) -> dict[str, Any]:
    """Every input's state as Slack reports it before anyone touched it: initial options and values."""
    values: dict[str, Any] = {}
    for block_id, element in _inputs(opened):
        entry: dict[str, Any] = {"type": element.get("type")}
        if element.get("type") == "plain_text_input":
            entry["value"] = element.get("initial_value")
        else:
            entry["selected_option"] = element.get("initial_option")
        values.setdefault(block_id, {})[element.get("action_id")] = entry
    return values


def _inputs(opened: OpenedView) -> list[tuple[str, dict[str, Any]]]:
    return [(str(b.get("block_id")), b["element"]) for b in opened.view.get("blocks") or []
            if b.get("type") == "input" and isinstance(b.get("element"), dict)]


@dataclass
class _Input:
    """One input of an open modal, as a person's action addresses it (by its action_id)."""

    user: User
    opened: OpenedView
    state: dict[str, Any]
    block_id: str
    element: dict[str, Any]

    def set(self, **entry: Any) -> None:
        self.state["values"].setdefault(self.block_id, {})[self.element["action_id"]] = {
            "type": self.element["type"], **entry}


def _input(ws: SlackWorkspace, body: dict[str, Any], types: tuple[str, ...]) -> _Input:
    user, opened, state = _open_view(ws, body)
    block_id, element = _element(opened, str(body.get("action_id") or ""))
    if element.get("type") not in types:
        raise ControlError(409, f"{element.get('action_id')!r} is a {element.get('type')}, not a {' or '.join(types)}")
    return _Input(user, opened, state, block_id, element)


def _element(opened: OpenedView, action_id: str) -> tuple[str, dict[str, Any]]:
    found = next(((block_id, e) for block_id, e in _inputs(opened) if e.get("action_id") == action_id), None)
    if found is None:
        present = ", ".join(str(e.get("action_id")) for _, e in _inputs(opened)) or "none"
        raise ControlError(404, f"modal {opened.id} has no input {action_id!r} (its inputs: {present})")
    return found


def _missing_required(opened: OpenedView, state: dict[str, Any]) -> list[str]:
    missing = []
    for block in opened.view.get("blocks") or []:
        if block.get("type") != "input" or block.get("optional"):
            continue
        entry = state["values"].get(str(block.get("block_id")), {}).get(block["element"].get("action_id"), {})
        if not (entry.get("value") or entry.get("selected_option")):
            missing.append(str(block.get("block_id")))
    return missing


def _view_payload(opened: OpenedView, state: dict[str, Any]) -> dict[str, Any]:
    view = opened.view
    return {
        "id": opened.id, "team_id": TEAM_ID, "type": view.get("type"), "title": view.get("title"),
        "submit": view.get("submit"), "close": view.get("close"), "blocks": view.get("blocks", []),
        "private_metadata": view.get("private_metadata", ""), "callback_id": view.get("callback_id", ""),
        "state": {"values": json.loads(json.dumps(state["values"]))}, "hash": f"{int(time.time())}.sandbox",
        "root_view_id": opened.id, "previous_view_id": None, "app_id": APP_ID, "external_id": "",
    }


def _common(user: User) -> dict[str, Any]:
    return {"user": {"id": user.id, "username": user.name, "name": user.name, "team_id": TEAM_ID},
            "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN}, "api_app_id": APP_ID, "token": VERIFICATION_TOKEN,
            "enterprise": None, "is_enterprise_install": False}
