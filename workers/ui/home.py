"""The App Home tab: the fleet at a glance, rendered from a FleetSummary as a `home` view.

Slack refuses a view of more than 100 blocks (https://api.slack.com/reference/block-kit/blocks), so the tab
is a summary whatever the fleet's size: the overall progress, one line per account and region (the places
with the most left to do first, at most SHOWN_PLACES), the waves in flight (at most SHOWN_WAVES), the next
window, the freeze, and the last SHOWN_FAILURES failures; the rest is counted and `/ackmigrate plan` gives
the full table. Built through slack_sdk's Block Kit models, whose `to_dict()` validates lengths.

Everything a person typed or the cloud said (cluster, wave and account names, reasons, stage names) goes
through `mrkdwn.escape`; mentions and links only through the `mrkdwn` helpers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from workers import mrkdwn
from workers.domain.fleet_summary import Failure, FleetSummary, PlaceProgress, WavePhase, WaveProgress
from workers.domain.freeze import Freeze
from workers.domain.waves import PauseCause, PauseReason
from workers.ui import clock

MAX_BLOCKS = 100
"""Slack's limit for a Home tab view."""
SHOWN_PLACES = 20
SHOWN_WAVES = 10
SHOWN_FAILURES = 5
SHOWN_RUNNING = 3  # cluster names per wave line
SECTION_LIMIT = 3000
BAR_WIDTH = 20
HOME_CALLBACK_ID = "ackmigrate_home"
PLAN_COMMAND = "/ackmigrate plan"

_PHASE_ICON = {
    WavePhase.AWAITING_APPROVAL: "⏳", WavePhase.RUNNING: "🚚", WavePhase.SOAKING: "🧪",
    WavePhase.WAITING_FOR_WINDOW: "🕰️", WavePhase.FROZEN: "🧊", WavePhase.PAUSED: "⏸️",
}


def home_view(summary: FleetSummary) -> dict[str, Any]:
    """The `view` argument of views.publish for this summary.

    At most 2 + 1 + 1 + (2 + SHOWN_PLACES + 1) + (2 + SHOWN_WAVES + 2) + 2 + 2 = 45 blocks with the caps
    as they are, whatever the fleet's size: well inside MAX_BLOCKS (tests/workers/test_ui_home.py).
    """
    blocks: list[Block] = [
        HeaderBlock(text="ACK migration — the fleet"),
        _context(f"As of {_when(summary.as_of)} · the clusters in waves and those migrated one by one; "
                 f"`{PLAN_COMMAND}` finds every dedicated cluster"),
    ]
    if summary.freeze is not None:
        blocks.append(_section(freeze_text(summary.freeze)))
    blocks.append(_section(overall_text(summary)))
    blocks.extend(_places(summary.places))
    blocks.extend(_waves(summary))
    blocks.extend(_failures(summary.failures))
    blocks.append(DividerBlock())
    blocks.append(_context(
        f"The full table, cluster by cluster with its blockers: `{PLAN_COMMAND}`. A wave's clusters: "
        "`/ackmigrate wave status NAME`. A cluster's migration: `/ackmigrate status CLUSTER`."
    ))
    return View(type="home", callback_id=HOME_CALLBACK_ID, blocks=blocks).to_dict()


# -- the parts ---------------------------------------------------------------------------------------


def overall_text(summary: FleetSummary) -> str:
    if summary.total == 0:
        return ("*No migrations yet.* No cluster is in a wave or has been migrated. "
                f"`{PLAN_COMMAND}` discovers the dedicated clusters and what blocks each.")
    percent = round(100 * summary.migrated / summary.total)
    details = [f"{summary.remaining} remaining"]
    if summary.migrating:
        details.append(f"{summary.migrating} migrating now")
    if summary.failed:
        details.append(f"{_plural(summary.failed, 'failed migration')} to look at")
    return (f"*{summary.migrated} of {_plural(summary.total, 'dedicated cluster')} migrated to ACK Pro "
            f"({percent} %)*\n{bar(summary.migrated, summary.total)}  {' · '.join(details)}")


def freeze_text(freeze: Freeze) -> str:
    until = f" until {_when(freeze.until)}" if freeze.until is not None else " until someone unfreezes"
    reason = f" — “{mrkdwn.escape(freeze.reason)}”" if freeze.reason else ""
    return (f"🧊 *Frozen* by {mrkdwn.user(freeze.by)} since {_when(freeze.at)}{until}{reason}\n"
            "Nothing new starts, in waves or alone; migrations already running are followed to the end. "
            "`/ackmigrate unfreeze` needs an approver.")


def place_line(place: PlaceProgress) -> str:
    details = [f"{place.remaining} remaining"]
    if place.migrating:
        details.append(f"{place.migrating} migrating")
    if place.failed:
        details.append(f"{place.failed} failed")
    return (f"*{mrkdwn.escape(place.account)} · {mrkdwn.escape(place.region)}*  "
            f"{bar(place.migrated, place.total, 10)}  {place.migrated}/{place.total} migrated · {' · '.join(details)}")


def wave_line(wave: WaveProgress) -> str:
    icon = _PHASE_ICON[wave.phase]
    counts = f"{wave.succeeded}/{wave.total} migrated"
    if wave.failed:
        counts += f" · {wave.failed} failed"
    lines = [f"{icon} *{mrkdwn.escape(wave.name)}* — {wave.phase.value}  {bar(wave.done, wave.total, 10)}  {counts}"]
    if wave.pause is not None:
        lines.append(f"Paused: {pause_text(wave.pause, wave.name)}")
    if wave.running:
        names = ", ".join(mrkdwn.escape(n) for n in wave.running[:SHOWN_RUNNING])
        more = f" and {len(wave.running) - SHOWN_RUNNING} more" if len(wave.running) > SHOWN_RUNNING else ""
        lines.append(f"Now: {names}{more}")
    if wave.next_window is not None and wave.phase is not WavePhase.RUNNING:
        lines.append(f"Next window opens {_when(wave.next_window)}")
    return "\n".join(lines)


def pause_text(reason: PauseReason, wave: str) -> str:
    resume = mrkdwn.code(f"/ackmigrate wave resume {wave}")
    if reason.cause is PauseCause.FAILURE_BUDGET:
        names = ", ".join(mrkdwn.escape(n) for n in reason.failed[:SHOWN_RUNNING])
        more = f" and {len(reason.failed) - SHOWN_RUNNING} more" if len(reason.failed) > SHOWN_RUNNING else ""
        return (f"{_plural(reason.failures, 'failure')} ({names}{more}), over its failure budget of {reason.budget}. "
                f"{resume} continues it.")
    who = f" by {mrkdwn.user(reason.by)}" if reason.by else ""
    return f"paused{who}. {resume} continues it."


def failure_line(failure: Failure) -> str:
    where = f"{mrkdwn.escape(failure.account)} · {mrkdwn.escape(failure.region)}"
    stage = f" at {mrkdwn.escape(failure.stage)}" if failure.stage else " before the migration started"
    wave = f" (wave {mrkdwn.escape(failure.wave)})" if failure.wave else ""
    return f"❌ *{mrkdwn.escape(failure.cluster)}* ({where}){wave} failed{stage}, {_when(failure.at)}"


def _places(places: Sequence[PlaceProgress]) -> list[Block]:
    if not places:
        return []
    blocks: list[Block] = [DividerBlock(), _section(f"*By account and region* ({len(places)})")]
    blocks.extend(_section(place_line(p)) for p in places[:SHOWN_PLACES])
    hidden = places[SHOWN_PLACES:]
    if hidden:
        left = sum(p.remaining for p in hidden)
        blocks.append(_context(f"…and {_plural(len(hidden), 'more place')} with {left} clusters remaining: "
                               f"`{PLAN_COMMAND}` lists them all."))
    return blocks


def _waves(summary: FleetSummary) -> list[Block]:
    blocks: list[Block] = [DividerBlock()]
    if not summary.waves:
        blocks.append(_section("*Waves*\nNo wave in flight. `/ackmigrate wave create NAME --clusters PATTERN …` "
                               "plans one."))
        return blocks
    blocks.append(_section(f"*Waves in flight* ({len(summary.waves)})"))
    blocks.extend(_section(wave_line(w)) for w in summary.waves[:SHOWN_WAVES])
    hidden = summary.waves[SHOWN_WAVES:]
    if hidden:
        blocks.append(_context(f"…and {_plural(len(hidden), 'more wave')} "
                               f"({sum(w.total - w.done for w in hidden)} clusters still to go): "
                               "`/ackmigrate wave status NAME`."))
    upcoming = summary.next_window
    if upcoming is not None:
        name, opens = upcoming
        blocks.append(_context(f"🕰️ Next window opens {_when(opens)}, for wave {mrkdwn.escape(name)}"))
    return blocks


def _failures(failures: Sequence[Failure]) -> list[Block]:
    if not failures:
        return []
    lines = [failure_line(f) for f in failures[:SHOWN_FAILURES]]
    if len(failures) > SHOWN_FAILURES:
        lines.append(f"…and {len(failures) - SHOWN_FAILURES} earlier.")
    return [DividerBlock(), _section("*Recent failures*\n" + "\n".join(lines))]


# -- small pieces ------------------------------------------------------------------------------------


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    filled = width if total == 0 else round(width * done / total)
    return "▓" * filled + "░" * (width - filled)


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=_cut(text)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=_cut(text))])


def _cut(text: str) -> str:
    return text if len(text) <= SECTION_LIMIT else text[: SECTION_LIMIT - 1] + "…"


def _when(moment: datetime) -> str:
    """A moment as every surface shows it (workers.ui.clock): in the reader's zone, UTC as the fallback."""
    return clock.when(moment.timestamp())


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
