"""A stored Slack message as terminal text, so the offline demo can show what the channel would show.

Pure: it takes the message dict the control API returns (`text`, `blocks`) and returns a string. It
knows the sandbox workspace's people, groups and channels by default so `<@U0BOB>` reads as `@bob`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

DEFAULT_NAMES: Mapping[str, str] = {
    "U0ALICE": "@alice",
    "U0BOB": "@bob",
    "U0CAROL": "@carol",
    "U0DAVE": "@dave",
    "U0ACKBOT": "@ackmigrate",
    "S0PLATFORM": "@platform-leads",
    "C0PLATFORM": "#platform-ops",
    "C0OTHER": "#random",
}

_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
_RULE = "─" * 60


def render_message_text(message: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """Headers, sections, fields, context, dividers and buttons (`[ Approve ]`) as plain lines.

    A message without blocks renders its `text`; an edited message renders as it is now.
    """
    names = DEFAULT_NAMES if names is None else names
    blocks = message.get("blocks") or []
    if not blocks:
        return _mrkdwn(str(message.get("text") or ""), names)
    lines: list[str] = []
    for block in blocks:
        lines.extend(_block_lines(block, names))
    return "\n".join(lines).rstrip()


def _block_lines(block: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        title = _text(block.get("text"), names)
        return [title, "═" * min(len(title), 60)]
    if kind == "section":
        lines: list[str] = []
        if block.get("text"):
            lines.extend(_text(block["text"], names).splitlines())
        for field in block.get("fields") or []:  # "*Cluster*\nprod-hz-1" reads best as one line
            lines.append("  " + " ".join(_text(field, names).split("\n")))
        accessory = block.get("accessory")
        if isinstance(accessory, Mapping) and accessory.get("type") in ("button", "overflow", "static_select"):
            lines.append("  " + _element(accessory, names))
        return lines
    if kind == "context":
        parts = [
            _text(e, names) if e.get("type") in ("mrkdwn", "plain_text") else f"[{e.get('alt_text', 'image')}]"
            for e in block.get("elements") or []
        ]
        return ["  " + " · ".join(parts)]
    if kind == "actions":
        return ["  ".join(_element(e, names) for e in block.get("elements") or [])]
    if kind == "divider":
        return [_RULE]
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    if kind == "rich_text":
        return [_rich_text(block.get("elements") or [], names)]
    if kind == "markdown":
        return [_mrkdwn(str(block.get("text", "")), names)]
    return [f"[{kind} block]"]


def _element(element: Mapping[str, Any], names: Mapping[str, str]) -> str:
    if element.get("type") == "button":
        label = _text(element.get("text"), names)
        return f"[ {label} ]" + (" ↗" if element.get("url") else "")
    placeholder = element.get("placeholder")
    return f"[ {_text(placeholder, names) if placeholder else element.get('type', 'element')} ▾ ]"


def _text(obj: Any, names: Mapping[str, str]) -> str:
    if isinstance(obj, str):
        return _mrkdwn(obj, names)
    if not isinstance(obj, Mapping):
        return ""
    text = str(obj.get("text", ""))
    return _mrkdwn(text, names) if obj.get("type") == "mrkdwn" else text


def _mrkdwn(text: str, names: Mapping[str, str]) -> str:
    """Slack's link syntax made readable: mentions become names, links become `label (url)`."""

    def replace(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return label and f"@{label}" or names.get(target[1:], target)
        if target.startswith("#"):
            return label and f"#{label}" or names.get(target[1:], target)
        if target.startswith("!subteam^"):
            group = target[len("!subteam^"):]
            return label or names.get(group, f"@{group}")
        if target.startswith("!"):
            return label or "@" + target[1:].split("^")[0]
        return f"{label} ({target})" if label else target

    rendered = _LINK.sub(replace, text)
    return rendered.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _rich_text(elements: list[Any], names: Mapping[str, str]) -> str:
    out: list[str] = []
    for element in elements:
        if not isinstance(element, Mapping):
            continue
        kind = element.get("type")
        if kind == "text":
            out.append(str(element.get("text", "")))
        elif kind == "link":
            out.append(str(element.get("text") or element.get("url", "")))
        elif kind == "user":
            out.append(names.get(str(element.get("user_id")), f"@{element.get('user_id')}"))
        elif kind == "usergroup":
            out.append(names.get(str(element.get("usergroup_id")), f"@{element.get('usergroup_id')}"))
        elif kind == "channel":
            out.append(names.get(str(element.get("channel_id")), f"#{element.get('channel_id')}"))
        elif kind == "emoji":
            out.append(f":{element.get('name')}:")
        elif "elements" in element:
            prefix = "• " if kind == "rich_text_list" else ""
            inner = _rich_text(list(element["elements"]), names)
            out.append(prefix + inner + ("\n" if kind in ("rich_text_section", "rich_text_preformatted") else ""))
    return "".join(out).rstrip("\n")
