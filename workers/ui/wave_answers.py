"""The private answers to wave and freeze commands and clicks (`bot.waves` gives them): `wave_message`'s
words where it has them, and the answers only the bot gives (what was done). Anything a user typed is
escaped.
"""

from __future__ import annotations

from workers.domain.freeze import Freeze
from workers.domain.wave_problems import (
    AllBlocked,
    CanaryTooLarge,
    FleetUnlisted,
    NameTaken,
    NoBucketFor,
    PatternsUnresolved,
    TooManyClusters,
    WaveProblem,
)
from workers.domain.waves import Wave
from workers.mrkdwn import escape
from workers.ui import wave_message
from workers.ui.kit import Message


def create_taken(name: str, patterns: int) -> str:
    return (f"Composing wave *{escape(name)}*: resolving {patterns} pattern{'s' if patterns != 1 else ''} across the "
            "fleet and prechecking each cluster. The wave request will be posted in this channel.")


def composing(name: str, checked: int, total: int) -> str:
    return (f"Composing wave *{escape(name)}*: prechecked {checked} of {total} clusters "
            f"({checked * 100 // max(total, 1)}%). The wave request will be posted in this channel.")


def not_opened(problem: WaveProblem) -> str:
    """Why `wave create` made nothing, and what to change (told to the requester alone)."""
    match problem:
        case PatternsUnresolved(detail):
            text = detail
        case TooManyClusters(named, limit):
            text = f"the patterns name {named} clusters; a wave holds at most {limit}: split it into several waves"
        case NoBucketFor(regions):
            text = (f"no bucket for region{'s' if len(regions) > 1 else ''} {', '.join(regions)} in --bucket-map: add "
                    f"REGION=BUCKET for each, e.g. --bucket-map {','.join(f'{r}=my-bucket-{r}' for r in regions)}")
        case AllBlocked(count):
            text = f"every one of the {count} clusters is blocked: run `/ackmigrate plan` to see what blocks each"
        case CanaryTooLarge(canary, ready):
            text = f"--canary {canary} is more than the {ready} clusters ready to migrate"
        case FleetUnlisted(detail):
            text = f"the fleet could not be listed: {detail}"
        case NameTaken(name):
            return name_taken(name)
    return f":warning: {escape(text)}"


def name_taken(name: str) -> str:
    return wave_message.wave_name_taken(name)


def no_such_wave(name: str) -> str:
    return wave_message.no_such_wave(name)


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
    because = f" Your reason, shown on the wave's message and in its thread: {escape(wave.rejection_reason)}" \
        if wave.rejection_reason else ""
    return f"Wave *{escape(wave.name)}* is rejected: nothing will start.{because}"


def not_rejectable(wave: Wave) -> str:
    """Reject on a wave already decided (approved, rejected, expired, cancelled) — also when it was decided
    while the reject dialog was open."""
    return wave_message.cannot_change(wave, "rejected")


def foreign_click() -> str:
    return ("That button is not on this wave's message in its channel, so it was not taken. "
            "Use the buttons on the wave request itself.")


def own_wave(wave: Wave) -> str:
    return wave_message.own_wave(wave.name)


def already_approved(wave: Wave) -> str:
    return wave_message.already_approved_wave(wave.name)


def status(wave: Wave, freeze: Freeze | None, *, now: float, expected_migration_s: float) -> Message:
    return wave_message.wave_status(wave, now=now, expected_migration_s=expected_migration_s, freeze=freeze)


def overview(waves: list[Wave]) -> Message:
    return wave_message.waves_list(waves)


def frozen(freeze: Freeze) -> str:
    return wave_message.freeze_banner(freeze)


def unfrozen(lifted: Freeze) -> str:
    return "Unfrozen: waves and held migrations start again, each within its own rules."


def unfreeze_needs_approver(approvers_label: str) -> str:
    return wave_message.unfreeze_needs_approver(approvers_label)


def not_frozen() -> str:
    return wave_message.nothing_frozen()
