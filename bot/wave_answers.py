"""The private answers to wave and freeze commands and clicks, in words.

Kept in one module so the wording can move, whole, to the UI package's private answers (workers/ui/, the
Slack side of the fleet work) without touching the rules in bot.waves. Anything a user typed is escaped.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC

from workers.domain.freeze import Freeze
from workers.domain.waves import ClusterState, Wave
from workers.mrkdwn import escape


def create_taken(name: str, patterns: int) -> str:
    return (f"Composing wave *{escape(name)}*: resolving {patterns} pattern{'s' if patterns != 1 else ''} across the "
            "fleet and prechecking each cluster. The wave request will be posted in this channel.")


def name_taken(name: str) -> str:
    return f"A wave named *{escape(name)}* already exists; wave names are kept for good, choose another."


def no_such_wave(name: str) -> str:
    return f"There is no wave named *{escape(name)}*. `/ackmigrate wave status` lists the waves in flight."


def paused(wave: Wave) -> str:
    return (f"Wave *{escape(wave.name)}* is paused: nothing more starts. Migrations already running go on. "
            f"An approver resumes it with `/ackmigrate wave resume {escape(wave.name)}`.")


def resumed(wave: Wave) -> str:
    return f"Wave *{escape(wave.name)}* resumed: failures so far are accepted; the next starts follow its schedule."


def cancelled(wave: Wave) -> str:
    running = len(wave.running)
    still = f" {running} migration{'s' if running != 1 else ''} already running continue and are followed." \
        if running else ""
    return f"Wave *{escape(wave.name)}* is cancelled: nothing more starts.{still}"


def approval_counted(wave: Wave) -> str:
    if wave.state.value == "approved":
        return f"Approved: wave *{escape(wave.name)}* starts now, within its windows."
    return (f"Your approval of wave *{escape(wave.name)}* is counted "
            f"({len(wave.approvals)} of {wave.approvals_required}).")


def rejected(wave: Wave) -> str:
    return f"Wave *{escape(wave.name)}* is rejected: nothing will start."


def foreign_click() -> str:
    return ("That button is not on this wave's message in its channel, so it was not taken. "
            "Use the buttons on the wave request itself.")


def own_wave(wave: Wave) -> str:
    return f"You requested wave *{escape(wave.name)}*, so someone else must approve it (two-person rule)."


def already_approved(wave: Wave) -> str:
    return f"You already approved wave *{escape(wave.name)}*; it needs another approver."


def status(wave: Wave, freeze: Freeze | None) -> str:
    counts = Counter(c.state for c in wave.clusters)
    parts = [f"{counts[state]} {state}" for state in ClusterState if counts[state]]
    lines = [f"*Wave {escape(wave.name)}* — {wave.state}: {', '.join(parts) or 'no clusters'}."]
    if wave.running:
        lines.append("Running: " + ", ".join(escape(c.qualified) for c in wave.running) + ".")
    if wave.pause is not None:
        lines.append(f"Paused ({wave.pause.cause}" + (f" by <@{wave.pause.by}>" if wave.pause.by else "")
                     + (f"; failed: {', '.join(escape(n) for n in wave.pause.failed)}" if wave.pause.failed else "")
                     + ").")
    if freeze is not None:
        lines.append(frozen(freeze))
    return "\n".join(lines)


def overview(waves: list[Wave], freeze: Freeze | None) -> str:
    lines = [status(wave, None) for wave in waves] or ["No wave is in flight."]
    if freeze is not None:
        lines.append(frozen(freeze))
    return "\n\n".join(lines)


def frozen(freeze: Freeze) -> str:
    until = (f" until {freeze.until.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if freeze.until
             else " until an approver runs `/ackmigrate unfreeze`")
    reason = f" ({escape(freeze.reason)})" if freeze.reason else ""
    return f":snowflake: Frozen by <@{freeze.by}>{reason}{until}: nothing new starts; running migrations are followed."


def unfrozen(lifted: Freeze) -> str:
    return "Unfrozen: waves and held migrations start again, each within its own rules."


def not_frozen() -> str:
    return "Nothing is frozen."
