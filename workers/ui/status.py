"""`/ackmigrate status` in Slack: everything in flight and recent results, or one request in full.

(The terminal's `ackmigrate status` renders the same records as text, in the CLI.)
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, DividerBlock

from workers import mrkdwn
from workers.domain.records import Record, State
from workers.ui import clock
from workers.ui.checklist import blocking, check_line, ordered, precheck_of, tally
from workers.ui.kit import Message, chunks, context, render, section
from workers.ui.request_message import request_facts, status_line
from workers.ui.words import STATE_ICON, STATE_WORDS, wording


def status_overview(
    in_flight: Sequence[Record], recent: Sequence[Record], *, now: float, permalinks: dict[str, str]
) -> Message:
    """`/ackmigrate status`: everything in flight, then recent results, each linking to its thread."""
    flying = [_overview_line(r, now=now, permalink=permalinks.get(r.id)) for r in in_flight]
    ended = [_overview_line(r, now=now, permalink=permalinks.get(r.id)) for r in recent]
    blocks: list[Block] = [section("*In flight*")]
    blocks.extend(section(text) for text in chunks(flying or ["Nothing in flight."]))
    blocks.append(DividerBlock())
    blocks.append(section("*Recent results*"))
    blocks.extend(section(text) for text in chunks(ended or ["Nothing finished recently."]))
    text = f"{len(in_flight)} in flight, {len(recent)} recent"
    return Message(text=text, blocks=render(blocks))


def _overview_line(record: Record, *, now: float, permalink: str | None) -> str:
    parts = [f"{STATE_ICON[record.state]} *{mrkdwn.escape(record.cluster_name)}*"]
    if wording(record).status_tag:
        parts.append(wording(record).status_tag)
    parts.append(_state_phrase(record, now=now))
    people = mrkdwn.user(record.requester)
    if record.decided_by:
        people += f" → {mrkdwn.user(record.decided_by)}"
    parts.append(people)
    if permalink:
        parts.append(mrkdwn.link(permalink, "thread"))
    return "   ".join(parts)


def _state_phrase(record: Record, *, now: float) -> str:
    if record.state is State.AWAITING_APPROVAL and record.expires_at is not None:
        return f"awaiting approval ({clock.duration(max(0.0, record.expires_at - now))} left)"
    if record.state is record.workflow.in_cloud:
        stage = f"stage {record.stage}/{record.stage_total}   " if record.stage_total else ""
        return f"{stage}{clock.duration(now - (record.started_at or record.updated_at))}"
    if record.state is State.FAILED:
        where = f" at stage {record.stage}" if record.stage_total else ""
        return f"failed{where}   {clock.day(record.updated_at)}"
    if record.terminal:
        took = clock.took(record.started_at, record.finished_at).removeprefix(" — ").strip()
        return " ".join(p for p in (STATE_WORDS[record.state], took, "  " + clock.day(record.updated_at)) if p)
    return STATE_WORDS[record.state]


def status_detail(record: Record, *, now: float, permalink: str | None) -> Message:
    """`/ackmigrate status CLUSTER`: one request in full, without the buttons."""
    report = precheck_of(record)
    head = (f"{STATE_ICON[record.state]} *{mrkdwn.escape(record.cluster_name)}* {wording(record).noun} "
            f"{mrkdwn.code(record.id)} — {_state_phrase(record, now=now)}")
    blocks: list[Block] = [section(head), section(request_facts(record, report, now=now))]
    status = status_line(record, report, now=now)
    if status:
        blocks.append(section(status))
    if report is not None:
        blocks.append(section(f"*Prechecks*  {tally(ordered(report.checks))}"))
        blocks.extend(section(text) for text in chunks(check_line(c) for c in blocking(report)))
    if permalink:
        blocks.append(context(mrkdwn.link(permalink, "Open the request thread")))
    text = f"{record.cluster_name} {wording(record).noun}: {STATE_WORDS[record.state]}"
    return Message(text=mrkdwn.escape(text), blocks=render(blocks))
