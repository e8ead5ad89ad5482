"""Block Kit as Slack checks it: a message the stand-in accepts is one Slack would accept too.

Validation leans on slack_sdk's own Block Kit models (`Block.parse`, `validate_json`), then adds what
those models let through but Slack refuses: unknown or null fields, a string where an object belongs,
empty texts and element lists, repeated block_ids. A bot that only ever passes the sandbox would
otherwise learn in production that its blocks are `invalid_blocks`.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Iterator
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_BLOCKS_MESSAGE = 50
MAX_BLOCKS_VIEW = 100
INTERACTIVE_TYPES = {
    "button", "overflow", "static_select", "external_select", "users_select", "conversations_select",
    "channels_select", "multi_static_select", "multi_users_select", "datepicker", "timepicker",
    "checkboxes", "radio_buttons", "plain_text_input",
}


class BlocksError(ValueError):
    """Blocks Slack would refuse. `code` is Slack's error code; `errors` are its per-field messages."""

    def __init__(self, code: str, errors: list[str]) -> None:
        super().__init__(f"{code}: {'; '.join(errors)}")
        self.code = code
        self.errors = errors


def _short_id() -> str:
    """Slack fills in a missing block_id / action_id with a short random id like this."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(5))


def _decode(value: Any, what: str) -> Any:
    """Form-encoded requests carry JSON as a string; JSON requests carry it as is."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            raise BlocksError(f"invalid_{what}_format", [f"{what} is not valid JSON: {error.msg}"]) from None
    return value


def validate_blocks(raw: Any, *, pointer: str = "/blocks", limit: int = MAX_BLOCKS_MESSAGE) -> list[dict[str, Any]]:
    """The blocks as Slack stores them (ids filled in), or BlocksError the way Slack words it."""
    blocks = _decode(raw, "blocks")
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        raise BlocksError("invalid_blocks_format", ["blocks must be an array of objects"])
    errors: list[str] = []
    if len(blocks) > limit:
        errors.append(f"no more than {limit} items allowed [json-pointer:{pointer}]")
    seen_block_ids: set[str] = set()
    stored: list[dict[str, Any]] = []
    for index, block in enumerate(blocks):
        where = f"{pointer}/{index}"
        errors.extend(_block_errors(block, where))
        block = json.loads(json.dumps(block))  # our own copy: ids are filled in below
        block_id = block.setdefault("block_id", _short_id())
        if block_id in seen_block_ids:
            errors.append(f"duplicate block_id `{block_id}` [json-pointer:{where}/block_id]")
        seen_block_ids.add(block_id)
        action_ids: set[str] = set()
        for element in _interactive_elements(block):
            action_id = element.setdefault("action_id", _short_id())
            if action_id in action_ids:
                errors.append(f"duplicate action_id `{action_id}` in block `{block_id}` [json-pointer:{where}]")
            action_ids.add(action_id)
        stored.append(block)
    if errors:
        raise BlocksError("invalid_blocks", errors)
    return stored


def validate_view(raw: Any) -> dict[str, Any]:
    """A modal or Home tab view as views.open would accept it; its blocks checked like a message's."""
    view = _decode(raw, "view")
    if not isinstance(view, dict):
        raise BlocksError("invalid_arguments", ["view must be an object"])
    errors: list[str] = []
    try:
        known = View(**view).to_dict()  # to_dict() validates the view and everything nested in it
    except (SlackObjectFormationError, TypeError, ValueError) as error:
        errors.append(f"{error} [json-pointer:/view]")
    else:
        errors.extend(_unknown_fields(view, known, "/view", skip={"blocks"}))
    if view.get("type") not in ("modal", "home"):
        errors.append("must be one of modal, home [json-pointer:/view/type]")
    try:
        view = {**view, "blocks": validate_blocks(view.get("blocks", []), pointer="/view/blocks", limit=MAX_BLOCKS_VIEW)}
    except BlocksError as error:
        errors.extend(error.errors)
    if errors:
        raise BlocksError("invalid_arguments", errors)
    return view


def _block_errors(block: dict[str, Any], where: str) -> list[str]:
    try:
        model = Block.parse(block)
    except (TypeError, ValueError) as error:
        return [f"{error} [json-pointer:{where}]"]
    if model is None:
        return [f"unsupported type `{block.get('type')}` [json-pointer:{where}/type]"]
    try:
        known = model.to_dict()  # validates the block and, unlike validate_json(), every element inside it
    except (SlackObjectFormationError, TypeError, ValueError) as error:
        return [f"{error} [json-pointer:{where}]"]
    errors = _unknown_fields(block, known, where)
    errors.extend(_empty_texts(block, where))
    for key in ("elements",):
        if key in block and isinstance(block[key], list) and not block[key] and block.get("type") != "rich_text":
            errors.append(f"must contain at least 1 item [json-pointer:{where}/{key}]")
    return errors


def _unknown_fields(given: Any, known: Any, where: str, skip: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Fields the SDK model dropped (unknown to Block Kit), nulls, and strings where Slack wants objects.

    Comparing what was sent with the model's own serialisation finds them at any depth without a
    second copy of the Block Kit schema.
    """
    errors: list[str] = []
    if isinstance(given, dict):
        if not isinstance(known, dict):
            return [f"expected {type(known).__name__}, got object [json-pointer:{where}]"]
        for key, value in given.items():
            if key in skip:
                continue
            if value is None:
                errors.append(f"must not be null [json-pointer:{where}/{key}]")
            elif key not in known:
                errors.append(f"unknown field `{key}` [json-pointer:{where}/{key}]")
            else:
                errors.extend(_unknown_fields(value, known[key], f"{where}/{key}"))
    elif isinstance(given, list):
        if not isinstance(known, list):
            return [f"expected {type(known).__name__}, got array [json-pointer:{where}]"]
        for index, (item, known_item) in enumerate(zip(given, known, strict=False)):
            errors.extend(_unknown_fields(item, known_item, f"{where}/{index}"))
    elif isinstance(known, dict | list):
        errors.append(f"expected {'object' if isinstance(known, dict) else 'array'} [json-pointer:{where}]")
    return errors


def _empty_texts(node: Any, where: str) -> Iterator[str]:
    """Slack refuses a text object whose text is empty; the SDK models do not check."""
    if isinstance(node, dict):
        if node.get("type") in ("plain_text", "mrkdwn") and "text" in node and node["text"] == "":
            yield f"must be more than 0 characters [json-pointer:{where}/text]"
        for key, value in node.items():
            yield from _empty_texts(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _empty_texts(item, f"{where}/{index}")


def _interactive_elements(block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    elements: list[Any] = []
    if block.get("type") in ("actions", "context_actions"):
        elements = list(block.get("elements") or [])
    elif block.get("type") == "section" and isinstance(block.get("accessory"), dict):
        elements = [block["accessory"]]
    elif block.get("type") == "input" and isinstance(block.get("element"), dict):
        elements = [block["element"]]
    for element in elements:
        if isinstance(element, dict) and element.get("type") in INTERACTIVE_TYPES:
            yield element


def buttons(blocks: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every button a person could click in these blocks, with the block_id Slack reports for it."""
    for block in blocks:
        for element in _interactive_elements(block):
            if element.get("type") == "button":
                yield str(block.get("block_id", "")), element


def find_button(blocks: list[dict[str, Any]], action_id: str) -> tuple[str, dict[str, Any]] | None:
    return next(((block_id, b) for block_id, b in buttons(blocks) if b.get("action_id") == action_id), None)
