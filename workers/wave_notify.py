"""Show a wave in Slack: its parent message (the request, then the progress), one thread line per event,
and the freeze announcements. The engine calls these; none of them waits on Slack.

Redis first, Slack second. `cluster_event` and `wave_event` add a line to the wave's outbox
(workers.wave_outbox) and ask for a delivery; `wave_changed` only asks for one. The delivery job
(`deliver`, queued on the notify queue, one at a time per wave under the same kind of lock as a record's)
posts the pending lines in order and then redraws the parent. Slack being slow, rate limited, or the
channel's pacer (workers.slack_pace) asking posts to wait only delays what people see: the job reschedules
itself; a migration never waits on it.

Exactly once, across a SIGKILL, by the technique of workers.notify: every post carries a `MessageMark`
(`wave:{name}`, seq) in Slack's message metadata and is marked *attempted* in Redis before it is sent; a
post whose outcome was lost is looked for by its mark (the thread, or the channel's recent history for
the parent) before it is posted again.

Coalesced and throttled redraws: chat.update is Tier 3 (about 50 a minute for the workspace), and a wave
of 200 clusters with 10 in parallel changes several times a second at its busiest. A wave's parent is
redrawn at most once per `REDRAW_INTERVAL_S`; a change inside that interval schedules one delivery for
when it ends, which draws the wave as it is *then*, so the last state is always drawn and the ones in
between are skipped. Requests for a delivery are coalesced too: one queued job per wave at a time.
"""

from __future__ import annotations

import logging
import math
import time
import uuid

from workers import notify
from workers.context import Context
from workers.domain.freeze import Freeze
from workers.domain.jobs import Job
from workers.domain.wave_events import (
    ClusterEvent,
    WaveEvent,
    cluster_event_key,
    wave_event_key,
)
from workers.domain.waves import Wave
from workers.freeze_store import FreezeStore, Unfrozen
from workers.redis_connection import NotReplicated
from workers.slack import MessageMark, SlackError, SlackPaced, SlackRefused, SlackUnavailable
from workers.ui import wave_message
from workers.ui.kit import Message
from workers.wave_outbox import PARENT_SEQ, Line, WaveOutbox
from workers.wave_store import WaveStore

log = logging.getLogger(__name__)

REDRAW_INTERVAL_S = 5.0
"""At most one chat.update per wave this often: ten busy waves stay at 120 a minute at worst, and one wave
— the usual case — at 12, well inside Tier 3 with the records' own redraws."""
_QUEUED = "ackmigrate:wave-notify:queued:"  # a delivery job is queued for the wave (coalescing)
_QUEUED_TTL_S = 30  # a job queued now starts within seconds; one lost frees the flag, and the next change queues another
_WAIT_GRACE_S = 5  # a wait (a turn, the redraw interval, a link) holds the flag this long past its end
_REDRAW_AT = "ackmigrate:wave-notify:redraw:"  # exists while the wave's redraw interval runs
_AGAIN = "ackmigrate:wave-notify:again:"
_FAILURES = "ackmigrate:wave-notify:failures:"
_REFUSED = "ackmigrate:wave-notify:refused:"  # the wave version Slack last refused; its next change tries again
_MAX_BACKOFF_S = 60.0
_LOOKBACK_S = 60.0
LINK_WAIT_S = 30.0
"""How long a cluster's line waits for the cluster's own thread to be posted, so it can link to it."""
_LINK_RETRY_S = 2.0


def wave_mark_id(name: str) -> str:
    """The id a wave's posts carry in their `MessageMark` (records use their uuid; no clash)."""
    return f"wave:{name}"


def freeze_mark_id(at: float) -> str:
    return f"freeze:{at:.6f}"


# -- what the engine calls ----------------------------------------------------------------------------------

def post_wave_request(ctx: Context, name: str) -> Wave:
    """Post the wave's request message exactly once and save its ts on the wave; the wave as saved.

    Under the wave's delivery lock, so a delivery running at the same moment cannot post it too (if one
    holds the lock, it posts the parent first and this returns the wave as it is). Raises SlackError like
    any post (the engine may retry; a second call adopts the first post)."""
    with notify.delivery_turn(ctx, wave_mark_id(name)) as mine:
        if not mine:
            ctx.redis.set(_AGAIN + name, "1", ex=_QUEUED_TTL_S)
            return WaveStore(ctx.redis).get(name)
        return _ensure_parent(ctx, name)


def _ensure_parent(ctx: Context, name: str) -> Wave:
    """Post the parent unless its ts is saved, adopting a post whose outcome was lost (lock held)."""
    waves = WaveStore(ctx.redis)
    wave = waves.get(name)
    if wave.message_ts:
        return wave
    outbox = _outbox(ctx)
    mark = MessageMark(wave_mark_id(name), PARENT_SEQ)
    if outbox.attempted(name, PARENT_SEQ):
        found = ctx.slack.marks_in_channel(wave.channel, oldest=wave.created_at - _LOOKBACK_S).get(mark)
        if found:
            return _parent_saved(ctx, outbox, name, found, drawn=0)
    message = render_parent(ctx, wave)
    outbox.mark_attempted(name, PARENT_SEQ)
    try:
        ts = ctx.slack.post(wave.channel, message.text, message.blocks, mark=mark)
    except SlackError as error:
        _forget_attempt_if_certain(outbox, name, PARENT_SEQ, error)
        raise
    return _parent_saved(ctx, outbox, name, ts, drawn=wave.version)


def wave_changed(ctx: Context, name: str) -> None:
    """The wave was saved: redraw its parent soon (coalesced, at most once per REDRAW_INTERVAL_S)."""
    _request_delivery(ctx, name)


def cluster_event(ctx: Context, name: str, cluster_id: str, event: ClusterEvent) -> None:
    """One line in the wave's thread for a cluster's start or end, linking to its own thread; exactly once
    (a second call for the same start or end adds nothing). The parent is redrawn too."""
    _outbox(ctx).add(name, cluster_event_key(cluster_id, event), event, cluster_id=cluster_id)
    _request_delivery(ctx, name)


def wave_event(ctx: Context, name: str, event: WaveEvent) -> None:
    """One line in the wave's thread for a change of the whole wave (approved, paused…); exactly once per
    change (its key is the version the change was saved as). A pause is also shown in the channel."""
    _outbox(ctx).add(name, wave_event_key(event), event)
    _request_delivery(ctx, name)


def announce_freeze(ctx: Context, freeze: Freeze, *, by: str, channel: str) -> str:
    """Tell the channel starts are frozen (who, why, until when); returns the message's ts. Exactly once
    per freeze: a retried job finds the first announcement by its mark."""
    message = wave_message.freeze_announcement(freeze, by=by)
    return _post_once(ctx, channel, MessageMark(freeze_mark_id(freeze.at.timestamp()), PARENT_SEQ), message,
                      since=freeze.at.timestamp())


def announce_unfreeze(ctx: Context, unfrozen: Unfrozen, *, channel: str) -> str:
    """Tell the channel starts are allowed again, who lifted the freeze and whose freeze it was."""
    message = wave_message.unfreeze_announcement(unfrozen.freeze, by=unfrozen.by)
    return _post_once(ctx, channel, MessageMark(freeze_mark_id(unfrozen.freeze.at.timestamp()), 1), message,
                      since=unfrozen.freeze.at.timestamp())


def heal(ctx: Context) -> list[str]:
    """The reconciler's sweep: queue a delivery for every wave Slack is behind on (lines not posted, or a
    parent older than the wave) — a delivery job lost with its worker is thus replaced within one sweep.
    Returns the names queued."""
    outbox = _outbox(ctx)
    behind = [wave.name for wave in WaveStore(ctx.redis).all()
              if (outbox.has_pending(wave.name) or outbox.drawn_version(wave.name) < wave.version)
              and _refused_at(ctx, wave.name) < wave.version]
    for name in behind:
        _request_delivery(ctx, name)
    return behind


# -- the delivery job ---------------------------------------------------------------------------------------

def deliver(ctx: Context, name: str) -> None:
    """Post the wave's pending thread lines, then redraw its parent if it is behind; never raises for Slack.

    One delivery per wave at a time: a delivery that finds another running leaves a note, and the runner
    goes round once more before it lets go."""
    ctx.redis.delete(_QUEUED + name)  # a change from now on queues another delivery
    turn = notify.delivery_turn(ctx, wave_mark_id(name))
    with turn as mine:
        if not mine:
            ctx.redis.set(_AGAIN + name, "1", ex=_QUEUED_TTL_S)
            return
        _deliver_once(ctx, name)
        while ctx.redis.getdel(_AGAIN + name):
            _deliver_once(ctx, name)


def _deliver_once(ctx: Context, name: str) -> None:
    outbox = _outbox(ctx)
    try:
        wave = _ensure_parent(ctx, name)
        _post_pending(ctx, outbox, wave)
        _redraw(ctx, outbox, name)
    except SlackPaced as paced:
        _schedule(ctx, name, paced.retry_after_s or 0.0)  # the channel is busy: wait for the turn; not a failure
        return
    except SlackUnavailable as error:
        delay = _backoff(ctx, name, error)
        log.warning("wave %s: Slack %s unavailable (%s); retrying in %.0fs", name, error.method, error.code, delay)
        _retry(ctx, name, delay)
        return
    except _LinkPending:
        _schedule(ctx, name, _LINK_RETRY_S)
        return
    except NotReplicated as error:
        # Redis is failing over: post nothing whose "being posted" mark a new master might not have.
        log.warning("wave %s delivery waits: %s", name, error)
        _retry(ctx, name, _backoff(ctx, name, None))
        return
    except SlackRefused as error:
        # Retrying cannot help (the bot was removed from the channel, the message deleted): say so once.
        log.warning("wave %s: Slack refused %s: %s", name, error.method, error.code)
        ctx.redis.set(_REFUSED + name, str(WaveStore(ctx.redis).get(name).version))  # the sweep leaves it be
        ctx.audit.append("slack_error", wave=name, outcome="refused", method=error.method, error=error.code)
        return
    ctx.redis.delete(_FAILURES + name)


def _post_pending(ctx: Context, outbox: WaveOutbox, wave: Wave) -> None:
    """Lines in order, each marked posted at once; the first failure stops the rest (they keep their order)."""
    in_thread: dict[MessageMark, str] | None = None
    for line in outbox.pending(wave.name):
        mark = MessageMark(wave_mark_id(wave.name), line.seq)
        if outbox.attempted(wave.name, line.seq):
            if in_thread is None:
                in_thread = _marks_in_thread(ctx, wave)
            if mark in in_thread:
                outbox.mark_posted(wave.name, line.seq, in_thread[mark])
                continue
        text = render_line(ctx, wave, line)
        outbox.mark_attempted(wave.name, line.seq)
        try:
            ts = ctx.slack.post_reply(wave.channel, str(wave.message_ts), text,
                                      broadcast=wave_message.line_is_broadcast(line.event), mark=mark)
        except SlackError as error:
            _forget_attempt_if_certain(outbox, wave.name, line.seq, error)
            raise
        outbox.mark_posted(wave.name, line.seq, ts)


def _marks_in_thread(ctx: Context, wave: Wave) -> dict[MessageMark, str]:
    """The thread's marked lines; if Slack refuses to show the thread (a missing history scope), none: the
    line is posted again, which may show it twice, but a line is never silently dropped (as notify does)."""
    try:
        return ctx.slack.marks_in_thread(wave.channel, str(wave.message_ts))
    except SlackRefused as error:
        log.warning("wave %s: cannot read its thread (%s); posting without the duplicate check", wave.name,
                    error.code)
        return {}


def _redraw(ctx: Context, outbox: WaveOutbox, name: str) -> None:
    """Redraw the parent if Slack shows an older version — unless the interval since the last redraw is still
    running: then one delivery is scheduled for its end, and draws whatever the wave is by then."""
    wave = WaveStore(ctx.redis).get(name)
    if outbox.drawn_version(name) >= wave.version:
        return
    interval_ms = int(REDRAW_INTERVAL_S * 1000)
    if not ctx.redis.set(_REDRAW_AT + name, "1", px=interval_ms, nx=True):
        left_ms = int(ctx.redis.pttl(_REDRAW_AT + name))
        _schedule(ctx, name, max(left_ms, 1) / 1000)
        return
    message = render_parent(ctx, wave)
    ctx.slack.update(wave.channel, str(wave.message_ts), message.text, message.blocks)
    outbox.mark_drawn(name, wave.version)


# -- rendering with what the context knows ------------------------------------------------------------------

def render_parent(ctx: Context, wave: Wave) -> Message:
    """The wave's parent as the wave is now: the request while it awaits approval, then the progress."""
    return wave_message.wave_message(
        wave, now=time.time(), approvers_label=notify.approvers_label(ctx.settings.approvers),
        expected_migration_s=ctx.settings.expected_migration_s, two_person_rule=ctx.settings.two_person_rule,
        freeze=FreezeStore(ctx.redis, ctx.audit).current(),
    )


def render_line(ctx: Context, wave: Wave, line: Line) -> str:
    """A thread line, with a link to the cluster's own migration thread when that thread exists.

    A cluster's migration request is posted by its own delivery, usually within a second of the start, so
    a line whose cluster's thread is not posted yet waits for it (`_LinkPending`) up to `LINK_WAIT_S`
    after the line was added — the lines behind it wait too, to keep their order — then goes without."""
    link = None
    if line.cluster_id is not None:
        cluster = wave.cluster(line.cluster_id)
        record = ctx.store.find(cluster.record_id) if cluster and cluster.record_id else None
        if record is not None and record.message_ts:
            link = archives_link(record.channel, record.message_ts)
        elif record is not None and time.time() - line.added_at < LINK_WAIT_S:
            raise _LinkPending()
    return wave_message.thread_line(wave, line.cluster_id, line.event, thread_link=link)


class _LinkPending(Exception):
    """The line's cluster thread is about to be posted: deliver again shortly, with its link."""


def archives_link(channel: str, ts: str) -> str:
    """A message's link without an API call: Slack resolves `/archives/{channel}/p{ts without the dot}` in
    any workspace the reader belongs to (the form chat.getPermalink returns, on slack.com rather than the
    workspace's domain), so 400 thread lines cost no chat.getPermalink calls
    (https://docs.slack.dev/reference/methods/chat.getPermalink)."""
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"


# -- helpers ------------------------------------------------------------------------------------------------

def _outbox(ctx: Context) -> WaveOutbox:
    return WaveOutbox(ctx.redis, replicas=ctx.store.replicas)


def _parent_saved(ctx: Context, outbox: WaveOutbox, name: str, ts: str, *, drawn: int) -> Wave:
    """Save the parent's ts; `drawn` is the version the posted message shows (0: unknown, redraw it). Saving
    the ts is a change no reader sees, so a wave unchanged since it was drawn needs no redraw for it."""
    saved = WaveStore(ctx.redis).set_message_ts(name, ts)
    outbox.clear_attempt(name, PARENT_SEQ)
    outbox.mark_drawn(name, saved.version if saved.version == drawn + 1 else drawn)
    return saved


def _post_once(ctx: Context, channel: str, mark: MessageMark, message: Message, *, since: float) -> str:
    """A top-level post that a retry does not repeat: the channel's recent history is read for its mark first
    (only announcements use this; they are rare, so the read costs little)."""
    found = ctx.slack.marks_in_channel(channel, oldest=since - _LOOKBACK_S).get(mark)
    if found:
        return found
    return ctx.slack.post(channel, message.text, message.blocks, mark=mark)


def _forget_attempt_if_certain(outbox: WaveOutbox, name: str, seq: int, error: SlackError) -> None:
    """Slack said no, rate limited the call, or the pacer held it back: the post certainly did not happen."""
    if isinstance(error, SlackRefused | SlackPaced) or error.code == "ratelimited":
        outbox.clear_attempt(name, seq)


def _request_delivery(ctx: Context, name: str) -> None:
    """Queue one delivery for the wave unless one is queued already (it will see this change)."""
    if ctx.redis.set(_QUEUED + name, uuid.uuid4().hex, ex=_QUEUED_TTL_S, nx=True):
        ctx.queues.enqueue(Job.DELIVER_WAVE_NOTIFICATIONS, name)


def _schedule(ctx: Context, name: str, delay_s: float) -> None:
    """The wave's one delivery, after a wait that is not a failure (a pacer's turn, the redraw interval, a
    cluster's thread to link to): it holds the flag until just after the wait, so changes meanwhile add no
    jobs, and a job lost meanwhile is replaced by the next change or sweep soon after."""
    ctx.redis.set(_QUEUED + name, uuid.uuid4().hex, ex=max(1, math.ceil(delay_s + _WAIT_GRACE_S)))
    ctx.queues.enqueue(Job.DELIVER_WAVE_NOTIFICATIONS, name, delay_s=delay_s)


def _retry(ctx: Context, name: str, delay_s: float) -> None:
    """A failed delivery (Slack unavailable, Redis failing over), tried again after its back-off — without the
    flag: the back-off grows to a minute, and a retry lost with a failover's last writes would otherwise keep
    the next change and the sweep from showing anything until the flag lapsed (workers.notify's rule)."""
    ctx.redis.delete(_QUEUED + name)
    ctx.queues.enqueue(Job.DELIVER_WAVE_NOTIFICATIONS, name, delay_s=delay_s)


def _refused_at(ctx: Context, name: str) -> int:
    raw = ctx.redis.get(_REFUSED + name)
    return int(raw) if raw is not None else 0


def _backoff(ctx: Context, name: str, error: SlackUnavailable | None) -> float:
    failures = int(ctx.redis.incr(_FAILURES + name))
    ctx.redis.expire(_FAILURES + name, 3600)
    retry_after = error.retry_after_s if error is not None else None
    return max(min(_MAX_BACKOFF_S, float(2 ** (failures - 1))), retry_after or 0.0)
