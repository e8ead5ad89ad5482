"""Block Kit pieces every surface uses, and Slack's limits they keep.

Blocks are built through slack_sdk's Block Kit models, whose `to_dict()` validates them (lengths, element
counts), so a message Slack would refuse fails here, in a test, and not in front of the people waiting on
it. Everything a person typed or the cloud said goes through `mrkdwn.escape` before it reaches these.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from workers.checks.model import shorten

SECTION_LIMIT = 3000
"""A section's text: https://docs.slack.dev/reference/block-kit/blocks/section-block"""
HEADER_LIMIT = 150
"""A header's plain text: https://docs.slack.dev/reference/block-kit/blocks/header-block"""
MAX_BLOCKS = 50
"""Blocks in one message: https://docs.slack.dev/reference/block-kit/blocks"""
MAX_CHECK_SECTIONS = 20
"""Leaves room for the rest of a message within MAX_BLOCKS."""


@dataclass(frozen=True)
class Message:
    """`text` is the notification and screen-reader fallback; `blocks` are what the channel shows."""

    text: str
    blocks: list[dict[str, Any]]


def section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=shorten(text, SECTION_LIMIT)))


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=shorten(text, SECTION_LIMIT))])


def chunks(lines: Iterable[str], limit: int = SECTION_LIMIT) -> list[str]:
    """Join lines into as few section texts as fit Slack's 3000-character limit."""
    joined: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit and current:
            joined.append(current)
            candidate = line
        current = candidate
    if current:
        joined.append(current)
    return joined


def render(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """Validated dicts; past Slack's 50 blocks the rest is summed up in one line instead of refused."""
    if len(blocks) > MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 1], context(f"…and {len(blocks) - MAX_BLOCKS + 1} more")]
    return [block.to_dict() for block in blocks]


def lines(*parts: str) -> str:
    """The non-empty parts, one a line."""
    return "\n".join(part for part in parts if part)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
