"""Every word and block a wave and a freeze show in Slack: the wave's parent message (first the request,
then the progress, updated in place), its thread lines, the private answers of `wave status` and the
refusals, and the freeze announcements.

A wave may hold hundreds of clusters, and a message holds 50 blocks of at most 3000 characters each, so
every list here is a fixed number of blocks whatever the wave's size: the first lines in full, then what
is left summed up with its counts ("… and 160 more, in the same order"). `wave status NAME` answers with
the longer lists, within the same limits. Pure: the wave (and the moment, the settings it needs) in, text
and validated Block Kit out.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
)

from workers import mrkdwn
from workers.checks.model import shorten
from workers.domain.freeze import Freeze
from workers.domain.risk import Environment, RankKey, RankReason
from workers.domain.wave_events import (
    ClusterEvent,
    ClusterFailed,
    ClusterSkipped,
    ClusterStarted,
    ClusterSucceeded,
    WaveApproved,
    WaveCancelled,
    WaveDone,
    WaveEvent,
    WavePaused,
    WaveRejected,
    WaveResumed,
)
from workers.domain.waves import (
    ENDED,
    ClusterState,
    PauseCause,
    PauseReason,
    Wait,
    WaitReason,
    Wave,
    WaveCluster,
    WaveState,
    next_starts,
    project,
    regions_without_bucket,
)
from workers.ui import clock, ids
from workers.ui.kit import HEADER_LIMIT, Message, chunks, context, lines, plural, render, section

ORDER_LINES = 30
"""Clusters listed one a line in the request; the rest are counted (two sections of 3000 characters)."""
BLOCKED_LINES = 15
"""Blocked clusters listed one a line; the rest are counted per blocking check."""
RUNNING_LINES = 10
"""Running clusters named on the progress message (a max-parallel above this is counted)."""
FAILED_LINES = 15
STATUS_LINES = 60
"""`wave status` lists this many clusters of each state (it is private, so it may be longer)."""
BAR_WIDTH = 20

_STATE_EMOJI = {
    ClusterState.PENDING: "⏳", ClusterState.RUNNING: "🚚", ClusterState.SUCCEEDED: "✅",
    ClusterState.FAILED: "❌", ClusterState.SKIPPED: "⏭️",
}
_STATE_WORDS = {
    ClusterState.PENDING: "pending", ClusterState.RUNNING: "running", ClusterState.SUCCEEDED: "succeeded",
    ClusterState.FAILED: "failed", ClusterState.SKIPPED: "skipped",
}


def command(action: str, name: str) -> str:
    """The command that does `action` to the wave, as a person would type it."""
    return f"`/ackmigrate wave {action} {name}`"


# -- the parent message -------------------------------------------------------------------------------------

def wave_message(
    wave: Wave, *, now: float, approvers_label: str, expected_migration_s: float,
    freeze: Freeze | None = None, two_person_rule: bool = True,
) -> Message:
    """The wave's one message in the channel: the request until it is decided, then its progress."""
    if wave.state in (WaveState.REQUESTED, WaveState.AWAITING_APPROVAL, WaveState.REJECTED,
                      WaveState.EXPIRED):
        return request(wave, now=now, approvers_label=approvers_label,
                       expected_migration_s=expected_migration_s, two_person_rule=two_person_rule)
    return progress(wave, now=now, expected_migration_s=expected_migration_s, freeze=freeze)


def request(
    wave: Wave, *, now: float, approvers_label: str, expected_migration_s: float, two_person_rule: bool = True,
) -> Message:
    """What will be migrated, in order and why; what is left out and why; when; and the buttons."""
    to_migrate = [c for c in wave.clusters if c.state is not ClusterState.SKIPPED]
    blocked = wave.in_state(ClusterState.SKIPPED)
    title = {
        WaveState.REJECTED: "❌  Wave rejected", WaveState.EXPIRED: "⌛  Wave request expired",
    }.get(wave.state, "🌊  Wave request")
    header = f"{title} — {wave.name}: {plural(len(to_migrate), 'cluster')} → ACK Pro"
    blocks: list[Block] = [HeaderBlock(text=shorten(header, HEADER_LIMIT)),
                           section(_request_summary(wave, to_migrate, blocked, now))]
    blocks.append(section(schedule_text(wave, now=now, expected_migration_s=expected_migration_s)))
    missing = regions_without_bucket(wave.clusters, wave.bucket_map)
    if missing:
        blocks.append(section(f"⚠️ No bucket in `--bucket-map` for {', '.join(missing)}: the clusters there "
                              "cannot be migrated until one is given."))
    blocks += [section(text) for text in chunks(order_lines(wave))]
    if blocked:
        blocks += [section(text) for text in chunks(blocked_lines(wave))]
    if wave.state is WaveState.AWAITING_APPROVAL and to_migrate:
        blocks.append(_buttons(wave, len(to_migrate)))
        blocks.append(context(_approvers_text(wave, approvers_label, two_person_rule)))
    elif wave.state is WaveState.AWAITING_APPROVAL:
        blocks.append(context("Every cluster is blocked: nothing to approve. Fix the blockers and create the "
                              "wave again under a new name."))
    elif wave.state is WaveState.REQUESTED:
        blocks.append(context("Resolving the clusters and running their prechecks…"))
    elif wave.state in _ENDINGS:
        blocks.append(context(ending(wave)))
    fallback = f"{title.split('  ', 1)[1]} — {wave.name}: {plural(len(to_migrate), 'cluster')} to migrate"
    return Message(text=fallback, blocks=render(blocks))


def _request_summary(wave: Wave, to_migrate: list[WaveCluster], blocked: list[WaveCluster], now: float) -> str:
    places = sorted({(c.account, c.region) for c in wave.clusters})
    where = ", ".join(f"{account}/{region}" for account, region in places[:6])
    if len(places) > 6:
        where += f" and {len(places) - 6} more"
    first = f"Requested by {mrkdwn.user(wave.requester)} · {plural(len(to_migrate), 'cluster')} to migrate"
    if blocked:
        first += f" · {len(blocked)} blocked, left out"
    expiry = ""
    if wave.state is WaveState.AWAITING_APPROVAL and wave.expires_at is not None:
        expiry = f"Expires in {clock.duration(wave.expires_at - now)}"
    buckets = ", ".join(f"{region} → *{mrkdwn.escape(bucket)}*" for region, bucket in sorted(wave.bucket_map.items()))
    return lines(first, f"In {where}" if where else "", f"Buckets: {buckets}" if buckets else "", expiry)


def schedule_text(wave: Wave, *, now: float, expected_migration_s: float) -> str:
    """The schedule, and when the wave would start and end if every migration took the expected time."""
    windows = ", ".join(mrkdwn.code(spec) for spec in wave.windows) if wave.windows else "any time (no window)"
    canary = (f"{plural(wave.canary, 'canary')} first, then a soak of {clock.duration(wave.soak_s)}"
              if wave.canary else "no canary")
    budget = ("the first failure pauses the wave" if wave.failure_budget == 0
              else f"pauses after {plural(wave.failure_budget + 1, 'failure')}")
    text = lines("*Schedule*",
                 f"Windows: {windows} · a migration starts only with {clock.duration(expected_migration_s)} "
                 "left in its window",
                 f"{canary} · at most {wave.max_parallel} at a time · failure budget {wave.failure_budget} "
                 f"({budget})")
    if wave.state in (WaveState.REQUESTED, WaveState.AWAITING_APPROVAL):
        text = lines(text, _projection_text(wave, now, expected_migration_s))
    return text


def _projection_text(wave: Wave, now: float, expected_migration_s: float) -> str:
    moment = datetime.fromtimestamp(now, UTC)
    projected = project(wave, moment, timedelta(seconds=expected_migration_s))
    if not projected.starts:
        return ""
    first = projected.starts[0][1].timestamp()
    if projected.ends_at is None:
        return (f"If approved now: the first start at {clock.at(first)}; no window ahead is long enough for "
                "every cluster.")
    return (f"If approved now and every migration takes {clock.duration(expected_migration_s)}: the first "
            f"start {_when(first, now)}, all done by {clock.day(projected.ends_at.timestamp())} "
            f"{clock.at(projected.ends_at.timestamp())}.")


def _when(epoch: float, now: float) -> str:
    return "at once" if epoch <= now + 1 else f"at {clock.day(epoch)} {clock.at(epoch)}"


def order_lines(wave: Wave, *, limit: int = ORDER_LINES) -> list[str]:
    """The clusters to migrate in order, each with why it is there; past `limit`, a count."""
    to_migrate = [c for c in wave.clusters if c.state is not ClusterState.SKIPPED]
    canaries = {c.cluster_id for c in wave.canaries}
    shown = [_order_line(index, cluster, cluster.cluster_id in canaries)
             for index, cluster in enumerate(to_migrate[:limit], start=1)]
    rest = len(to_migrate) - len(shown)
    more = [f"… and {rest} more, in the same order ({command('status', wave.name)} lists them)"] if rest > 0 else []
    return ["*Order* (lowest risk first; the first ones are the canaries)", *shown, *more]


def _order_line(index: int, cluster: WaveCluster, canary: bool) -> str:
    marker = " 🐤 canary" if canary else ""
    why = f" — {rank_words(cluster.rank)}" if cluster.rank is not None else ""
    return f"{index}. {mrkdwn.code(cluster.qualified)} · {cluster.region}{marker}{why}"


def rank_words(rank: RankReason) -> str:
    """Why a cluster is where it is, in a few words: its facts, and what put it ahead of the next one."""
    environment = (f"non-production (matches {mrkdwn.code(rank.matched_pattern)})"
                   if rank.environment is Environment.NON_PRODUCTION and rank.matched_pattern
                   else rank.environment.value)
    facts = f"{environment}, {plural(rank.warnings, 'warning')}, {plural(rank.nodes, 'node')}"
    ahead = {
        RankKey.ENVIRONMENT: "ahead of production", RankKey.WARNINGS: "ahead by fewer warnings",
        RankKey.NODES: "ahead by fewer nodes", RankKey.NAME: "ahead by name", RankKey.LAST: "last",
    }[rank.ahead_by]
    return f"{facts}; {ahead}"


def blocked_lines(wave: Wave, *, limit: int = BLOCKED_LINES) -> list[str]:
    """The clusters left out, each with its blocker; past `limit`, the rest counted per blocking check."""
    blocked = wave.in_state(ClusterState.SKIPPED)
    shown = [f"⛔ {mrkdwn.code(c.qualified)} — {_blocker_words(c)}" for c in blocked[:limit]]
    rest = Counter(c.blocker.check_id if c.blocker else "unknown" for c in blocked[limit:])
    more = []
    if rest:
        counted = ", ".join(f"{count} by {mrkdwn.code(check)}" for check, count in rest.most_common())
        more = [f"… and {sum(rest.values())} more blocked: {counted}"]
    return [f"*Left out — blocked* ({len(blocked)})", *shown, *more]


def _blocker_words(cluster: WaveCluster) -> str:
    if cluster.blocker is None:
        return "blocked"
    return f"{mrkdwn.code(cluster.blocker.check_id)}: {mrkdwn.escape(shorten(cluster.blocker.summary, 160))}"


def _buttons(wave: Wave, count: int) -> ActionsBlock:
    confirm = ConfirmObject(
        title="Approve the wave?",
        text=MarkdownTextObject(text=shorten(
            f"{plural(count, 'cluster')} will be migrated to ACK Pro without further clicks, in the order shown. "
            "A migration cannot be rolled back.", 300)),
        confirm="Approve", deny="Go back")
    return ActionsBlock(elements=[
        ButtonElement(text="Approve", action_id=ids.APPROVE_WAVE, value=wave.name, style="primary", confirm=confirm),
        ButtonElement(text="Reject", action_id=ids.REJECT_WAVE, value=wave.name),
    ])


def _approvers_text(wave: Wave, approvers_label: str, two_person_rule: bool) -> str:
    needed = f"needs {wave.approvals_required} of them" if wave.approvals_required > 1 else "needs one of them"
    given = ""
    if wave.approvals:
        given = (f" · approved so far ({len(wave.approvals)} of {wave.approvals_required}): "
                 f"{', '.join(mrkdwn.user(a.user) for a in wave.approvals)}")
    rule = (f" · two-person rule on ({mrkdwn.user(wave.requester)} cannot approve their own wave)"
            if two_person_rule else "")
    return f"Approvers: {approvers_label} · {needed}{given}{rule}"


# -- progress (after approval) ------------------------------------------------------------------------------

def progress_bar(done: int, total: int, *, width: int = BAR_WIDTH) -> str:
    """`▓▓▓▓░░░░…` with `done` of `total` filled, rounded down so a bar is full only when all are done."""
    if total <= 0:
        return "░" * width
    filled = min(width, done * width // total)
    return "▓" * filled + "░" * (width - filled)


def counts_text(wave: Wave) -> str:
    """Each state with its count, in the order a cluster goes through them; states with none left out."""
    counts = Counter(c.state for c in wave.clusters)
    order = (ClusterState.SUCCEEDED, ClusterState.FAILED, ClusterState.SKIPPED, ClusterState.RUNNING,
             ClusterState.PENDING)
    return " · ".join(f"{_STATE_EMOJI[s]} {counts[s]} {_STATE_WORDS[s]}" for s in order if counts[s])


def progress(wave: Wave, *, now: float, expected_migration_s: float, freeze: Freeze | None = None) -> Message:
    total = len(wave.clusters)
    ended = sum(1 for c in wave.clusters if c.state in ENDED)
    title = _progress_title(wave)
    header = f"{title} — {wave.name}: {ended}/{total} ended"
    percent = ended * 100 // total if total else 100
    blocks: list[Block] = [
        HeaderBlock(text=shorten(header, HEADER_LIMIT)),
        section(lines(f"`{progress_bar(ended, total)}` {ended}/{total} ({percent}%)", counts_text(wave))),
        context(_decided_text(wave)),
    ]
    if freeze is not None and freeze.active(datetime.fromtimestamp(now, UTC)) and not wave.terminal:
        blocks.append(section(freeze_banner(freeze)))
    blocks.append(section(_now_text(wave, now=now, expected_migration_s=expected_migration_s, freeze=freeze)))
    failed = wave.in_state(ClusterState.FAILED)
    if failed:
        blocks += [section(text) for text in chunks(failed_lines(wave))]
    blocks.append(context(schedule_text(wave, now=now, expected_migration_s=expected_migration_s)
                          .replace("*Schedule*\n", "").replace("\n", " · ")))
    text = f"{title.split('  ', 1)[1]} — {wave.name}: {ended}/{total} ended · {counts_text(wave)}"
    return Message(text=text, blocks=render(blocks))


def _progress_title(wave: Wave) -> str:
    return {
        WaveState.APPROVED: "🌊  Wave approved", WaveState.RUNNING: "🌊  Wave running",
        WaveState.PAUSED: "⏸️  Wave paused", WaveState.DONE: "🏁  Wave done",
        WaveState.CANCELLED: "🚫  Wave cancelled",
    }.get(wave.state, f"🌊  Wave {wave.state.value}")


def _decided_text(wave: Wave) -> str:
    approvers = ", ".join(mrkdwn.user(a.user) for a in wave.approvals) or "nobody"
    when = f" at {clock.at(wave.decided_at)}" if wave.decided_at else ""
    return f"Requested by {mrkdwn.user(wave.requester)} · approved by {approvers}{when}"


def _now_text(wave: Wave, *, now: float, expected_migration_s: float, freeze: Freeze | None) -> str:
    """What the wave is doing now: the running clusters, why nothing more starts, what to type."""
    running = wave.running
    parts = []
    said_window = False
    if running:
        names = ", ".join(f"{mrkdwn.code(c.qualified)} ({clock.duration(now - (c.started_at or now))})"
                          for c in running[:RUNNING_LINES])
        more = f" and {len(running) - RUNNING_LINES} more" if len(running) > RUNNING_LINES else ""
        parts.append(f"*Now migrating* ({len(running)} of at most {wave.max_parallel}): {names}{more}")
    if wave.state is WaveState.PAUSED and wave.pause is not None:
        parts.append(f"{pause_words(wave.pause)} To continue: {command('resume', wave.name)}; to stop the "
                     f"starts for good: {command('cancel', wave.name)}.")
    elif wave.state is WaveState.CANCELLED:
        parts.append(f"{ending(wave)} Nothing more starts"
                     + ("; the running ones are followed to their end." if running else "."))
    elif wave.state is WaveState.DONE:
        parts.append(done_words(wave))
    elif wave.state in (WaveState.APPROVED, WaveState.RUNNING):
        decision = next_starts(wave, datetime.fromtimestamp(now, UTC), freeze, timedelta(seconds=expected_migration_s))
        if isinstance(decision, Wait):
            parts.append(wait_words(decision, wave))
            said_window = decision.reason in _WINDOW_WAITS
        nxt = next((c for c in wave.pending), None)
        if nxt is not None:
            parts.append(f"Next: {mrkdwn.code(nxt.qualified)} ({plural(len(wave.pending), 'cluster')} pending)")
    if not wave.terminal and wave.pending and not said_window:
        parts.append(window_words(wave, now=now, expected_migration_s=expected_migration_s))
    return lines(*parts) or "Nothing running."


def window_words(wave: Wave, *, now: float, expected_migration_s: float) -> str:
    """Where the wave stands in its windows: open until when, or when the next one long enough opens."""
    schedule = wave.schedule
    if schedule.always_open:
        return ""
    moment = datetime.fromtimestamp(now, UTC)
    left = schedule.time_left(moment)
    if left is not None and left > timedelta(0):
        closes = now + left.total_seconds()
        return f"🪟 Window open until {clock.at(closes)} ({clock.duration(left.total_seconds())} left)."
    opens = schedule.next_opening(moment, long_enough=timedelta(seconds=expected_migration_s))
    if opens is None:
        return "🪟 No window in the next two weeks is long enough for a migration."
    return f"🪟 Next window: {clock.day(opens.timestamp())} {clock.at(opens.timestamp())}."


_WINDOW_WAITS = frozenset({WaitReason.WINDOW_CLOSED, WaitReason.WINDOW_TOO_SHORT, WaitReason.NO_WINDOW_LONG_ENOUGH})


def wait_words(wait: Wait, wave: Wave) -> str:
    """Why nothing more starts now, and when it will look again."""
    until = f" {clock.day(wait.until.timestamp())} {clock.at(wait.until.timestamp())}" if wait.until else ""
    return {
        WaitReason.FROZEN: f"🧊 Starts are frozen{' until' + until if until else ''}.",
        WaitReason.CANARIES_RUNNING: "🐤 Waiting for the canaries to finish.",
        WaitReason.SOAKING: f"🛁 Canaries done; soaking until{until}.",
        WaitReason.SLOTS_FULL: f"All {wave.max_parallel} slots are busy; the next starts when one ends.",
        WaitReason.WINDOW_CLOSED: f"🕑 Outside the windows; the next opens{until}.",
        WaitReason.WINDOW_TOO_SHORT: f"🕑 Too little of this window left for a migration; the next opens{until}.",
        WaitReason.NO_WINDOW_LONG_ENOUGH: "⚠️ No window in the next two weeks is long enough for a migration.",
        WaitReason.ALL_STARTED: "Every cluster has started; following the last ones.",
        WaitReason.PAUSED: "Paused.",
        WaitReason.NOT_APPROVED: "Waiting for approval.",
        WaitReason.ENDED: "Ended.",
    }[wait.reason]


def pause_words(reason: PauseReason) -> str:
    if reason.cause is PauseCause.OPERATOR:
        return f"⏸️ Paused by {mrkdwn.user(reason.by or 'someone')}."
    names = ", ".join(mrkdwn.code(name) for name in reason.failed[:FAILED_LINES])
    if len(reason.failed) > FAILED_LINES:
        names += f" and {len(reason.failed) - FAILED_LINES} more"
    allowed = "no failure" if reason.budget == 0 else f"at most {plural(reason.budget, 'failure')}"
    return (f"⏸️ Paused itself: {plural(reason.failures, 'failure')} ({names}) where the budget allows "
            f"{allowed}.")


def done_words(wave: Wave) -> str:
    counts = Counter(c.state for c in wave.clusters)
    started = [c.started_at for c in wave.clusters if c.started_at is not None]
    ended = [c.ended_at for c in wave.clusters if c.ended_at is not None]
    took = f" in {clock.duration(max(ended) - min(started))}" if started and ended else ""
    return (f"🏁 Done{took}: {counts[ClusterState.SUCCEEDED]} on ACK Pro, {counts[ClusterState.FAILED]} failed, "
            f"{counts[ClusterState.SKIPPED]} skipped.")


def failed_lines(wave: Wave, *, limit: int = FAILED_LINES) -> list[str]:
    failed = wave.in_state(ClusterState.FAILED)
    shown = [f"❌ {mrkdwn.code(c.qualified)}: {mrkdwn.escape(shorten(c.error or 'failed', 200))}"
             for c in failed[:limit]]
    more = [f"… and {len(failed) - limit} more ({command('status', wave.name)})"] if len(failed) > limit else []
    return [f"*Failed* ({len(failed)})", *shown, *more]


# -- thread lines -------------------------------------------------------------------------------------------

def thread_line(wave: Wave, cluster_id: str | None, event: ClusterEvent | WaveEvent, *,
                thread_link: str | None = None) -> str:
    """One line in the wave's thread; a cluster's line links to the cluster's own migration thread."""
    if isinstance(event, ClusterStarted | ClusterSucceeded | ClusterFailed | ClusterSkipped):
        cluster = wave.cluster(cluster_id or "")
        label = mrkdwn.code(cluster.qualified if cluster else cluster_id or "?")
        return _cluster_line(wave, cluster, label, event, thread_link)
    return _wave_line(wave, event)


def _cluster_line(wave: Wave, cluster: WaveCluster | None, label: str, event: ClusterEvent,
                  thread_link: str | None) -> str:
    link = f" · {mrkdwn.link(thread_link, 'its thread')}" if thread_link else ""
    position = ""
    if cluster is not None:
        order = [c.cluster_id for c in wave.clusters]
        position = f" ({order.index(cluster.cluster_id) + 1}/{len(order)})"
    took = clock.took(cluster.started_at, cluster.ended_at) if cluster is not None else ""
    match event:
        case ClusterStarted(canary=canary):
            return f"🚚 Started {label}{position}{' — canary 🐤' if canary else ''}{link}"
        case ClusterSucceeded():
            return f"✅ {label} is on ACK Pro{took}{link}"
        case ClusterFailed(error=error):
            return f"❌ {label} failed{took}: {mrkdwn.escape(shorten(error, 300))}{link}"
        case ClusterSkipped(blocker=blocker):
            return (f"⏭️ {label} skipped: {mrkdwn.code(blocker.check_id)} blocks it — "
                    f"{mrkdwn.escape(shorten(blocker.summary, 300))}{link}")


def _wave_line(wave: Wave, event: WaveEvent) -> str:
    match event:
        case WaveApproved(by=by):
            return (f"✅ {mrkdwn.user(by)} approved ({len(wave.approvals)} of {wave.approvals_required}). "
                    "The wave runs on its own from now on.")
        case WavePaused(reason=reason):
            return f"{pause_words(reason)} Resume with {command('resume', wave.name)}."
        case WaveResumed(by=by):
            return f"▶️ {mrkdwn.user(by)} resumed the wave; failures so far no longer count against the budget."
        case WaveRejected(by=by, reason=reason):
            because = f": {mrkdwn.escape(reason)}" if reason else "."
            return f"❌ {mrkdwn.user(by)} rejected the wave; nothing of it will start{because}"
        case WaveCancelled(by=by):
            running = len(wave.running)
            follow = f" The {plural(running, 'migration')} already running continue and are followed." if running else ""
            return f"🚫 {mrkdwn.user(by)} cancelled the wave: nothing more starts.{follow}"
        case WaveDone(succeeded=succeeded, failed=failed, skipped=skipped):
            return (f"🏁 Wave {mrkdwn.bold(wave.name)} is done: {succeeded} on ACK Pro, {failed} failed, "
                    f"{skipped} skipped.")


def line_is_broadcast(event: ClusterEvent | WaveEvent) -> bool:
    """Also shown in the channel: the wave pausing itself (someone must act) and its end."""
    return isinstance(event, WavePaused | WaveDone)


# -- private answers ----------------------------------------------------------------------------------------

def wave_status(wave: Wave, *, now: float, expected_migration_s: float, freeze: Freeze | None = None,
                thread_link: str | None = None) -> Message:
    """`/ackmigrate wave status NAME`, privately: the progress, then each state's clusters (longer lists)."""
    top = wave_message(wave, now=now, approvers_label="", expected_migration_s=expected_migration_s,
                       freeze=freeze)
    blocks: list[Block] = [section(lines(f"*Wave {mrkdwn.escape(wave.name)}* — {wave.state.value.replace('_', ' ')}",
                                         counts_text(wave),
                                         f"{mrkdwn.link(thread_link, 'Its thread')}" if thread_link else ""))]
    for state in (ClusterState.RUNNING, ClusterState.FAILED, ClusterState.PENDING, ClusterState.SUCCEEDED,
                  ClusterState.SKIPPED):
        members = wave.in_state(state)
        if not members:
            continue
        listed = [_status_line(c) for c in members[:STATUS_LINES]]
        if len(members) > STATUS_LINES:
            listed.append(f"… and {len(members) - STATUS_LINES} more")
        blocks.append(DividerBlock())
        blocks += [section(text) for text in
                   chunks([f"{_STATE_EMOJI[state]} *{_STATE_WORDS[state].capitalize()}* ({len(members)})", *listed])]
    return Message(text=top.text, blocks=render(blocks))


def _status_line(cluster: WaveCluster) -> str:
    detail = ""
    if cluster.state is ClusterState.FAILED:
        detail = f" — {mrkdwn.escape(shorten(cluster.error or 'failed', 150))}"
    elif cluster.state is ClusterState.SKIPPED:
        detail = f" — {_blocker_words(cluster)}"
    return f"{mrkdwn.code(cluster.qualified)} · {cluster.region}{detail}"


def waves_list(waves: list[Wave]) -> Message:
    """`/ackmigrate wave status` with no name: every wave not ended, then the last ended ones."""
    if not waves:
        return Message(text="No waves yet.", blocks=render([section(
            "No waves yet. Create one with `/ackmigrate wave create NAME --clusters PATTERN --bucket-map "
            "REGION=BUCKET`.")]))
    rows = []
    for wave in waves[:STATUS_LINES]:
        ended = sum(1 for c in wave.clusters if c.state in ENDED)
        rows.append(f"{mrkdwn.code(wave.name)} — {wave.state.value.replace('_', ' ')} · {ended}/{len(wave.clusters)} "
                    f"ended · {counts_text(wave)}")
    if len(waves) > STATUS_LINES:
        rows.append(f"… and {len(waves) - STATUS_LINES} older")
    return Message(text=f"{plural(len(waves), 'wave')}", blocks=render([section(t) for t in chunks(rows)]))


def no_such_wave(name: str) -> str:
    return f"There is no wave named {mrkdwn.code(name)}. `/ackmigrate wave status` lists them."


def wave_name_taken(name: str) -> str:
    return (f"A wave named {mrkdwn.code(name)} already exists, and wave names are kept for good: choose "
            "another name.")


def cannot_change(wave: Wave, wanted: str) -> str:
    """A pause, resume, cancel or decision the wave's state does not allow, with what would work."""
    state = wave.state.value.replace("_", " ")
    hint = {
        WaveState.PAUSED: f" It can be resumed ({command('resume', wave.name)}) or cancelled.",
        WaveState.RUNNING: f" It can be paused ({command('pause', wave.name)}) or cancelled.",
        WaveState.APPROVED: f" It can be paused or cancelled ({command('cancel', wave.name)}).",
        WaveState.AWAITING_APPROVAL: " It waits for its approvers; it can be cancelled.",
    }.get(wave.state, " It has ended; nothing more can be done to it.")
    return f"Wave {mrkdwn.code(wave.name)} is {state}, so it cannot be {wanted}.{hint}"


def own_wave(name: str) -> str:
    return (f"You requested wave {mrkdwn.code(name)}, so someone else must approve it (two-person rule).")


def already_approved_wave(name: str) -> str:
    return f"You already approved wave {mrkdwn.code(name)}; it needs someone else's approval now."


def not_a_wave_approver(approvers_label: str) -> str:
    return f"Only {approvers_label} can approve or reject a wave."


def unfreeze_needs_approver(approvers_label: str) -> str:
    return (f"Lifting a freeze needs an approver ({approvers_label}). Anyone can freeze; ask one of them "
            "to run `/ackmigrate unfreeze`.")


def nothing_frozen() -> str:
    return "Nothing is frozen: migrations and waves may start."


# -- freeze -------------------------------------------------------------------------------------------------

def freeze_banner(freeze: Freeze) -> str:
    """One line any surface shows while a freeze is in force (the wave's message, App Home)."""
    until = (f"until {clock.day(freeze.until.timestamp())} {clock.at(freeze.until.timestamp())}"
             if freeze.until else "until someone runs `/ackmigrate unfreeze`")
    return (f"🧊 *Frozen* by {mrkdwn.user(freeze.by)} since {clock.at(freeze.at.timestamp())}, {until}: "
            f"{mrkdwn.escape(freeze.reason) or 'no reason given'}. Nothing new starts; running migrations "
            "continue.")


def freeze_announcement(freeze: Freeze, *, by: str) -> Message:
    until = (f"until {clock.day(freeze.until.timestamp())} {clock.at(freeze.until.timestamp())}"
             if freeze.until else "until an approver runs `/ackmigrate unfreeze`")
    reason = mrkdwn.escape(freeze.reason) if freeze.reason else "no reason given"
    text = lines(f"🧊 {mrkdwn.user(by)} froze all starts {until}: {reason}.",
                 "No migration and no wave cluster starts while frozen; those already running continue and are "
                 "followed to their end.")
    return Message(text=f"Starts are frozen {'until ' + clock.at(freeze.until.timestamp()) if freeze.until else ''}"
                        .strip(),
                   blocks=render([section(text)]))


def unfreeze_announcement(freeze: Freeze, *, by: str) -> Message:
    """The freeze that was lifted, who lifted it, and that starts may resume."""
    reason = mrkdwn.escape(freeze.reason) if freeze.reason else "no reason given"
    text = lines(f"🌤️ {mrkdwn.user(by)} lifted the freeze {mrkdwn.user(freeze.by)} set at "
                 f"{clock.at(freeze.at.timestamp())} ({reason}).",
                 "Migrations and waves may start again; waiting waves continue on their own.")
    return Message(text="Starts are no longer frozen", blocks=render([section(text)]))


_ENDINGS = {
    WaveState.REJECTED: "Rejected by {who}.",
    WaveState.EXPIRED: "Nobody approved or rejected it in time.",
    WaveState.CANCELLED: "Cancelled by {who}.",
}


def ending(wave: Wave) -> str:
    """How a wave request or wave ended, and by whom (the domain keeps who; the words are here), with the
    reason a rejecting approver typed, so the requester knows what to change before asking again."""
    who = f"<@{wave.decided_by}>" if wave.decided_by else "someone"
    said = _ENDINGS[wave.state].format(who=who)
    if wave.state is WaveState.REJECTED and wave.rejection_reason:
        said = f"{said.removesuffix('.')}: {mrkdwn.escape(wave.rejection_reason)}"
    return said
