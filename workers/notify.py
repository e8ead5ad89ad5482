"""Show a record in Slack: post its pending thread replies in order, then redraw its request message.

The record and its outbox are already saved when this runs (Redis is the source of truth), so Slack
being slow, rate limited or down only delays what people see: the replies stay pending, the message is
marked dirty, and delivery is tried again later with backoff. A migration never waits on this.

One delivery per record at a time (a short Redis lock): two deliveries racing would post a reply
twice or out of order. A delivery that finds the lock taken leaves a note, and the holder runs once
more before it lets go, so a change made during a delivery is never left unshown. The lock lives only
as long as its holder keeps renewing it (a heartbeat thread, every third of its TTL): a delivery that is
slow because Slack is keeps it, one that died with its worker — or was cut off by a Redis restart —
frees it within one TTL instead of blocking the thread's updates for a minute.

Coalesced, but only while nothing is wrong: at most one delivery job is queued per record (`_QUEUED`, set by
whoever queues it, cleared when it starts), so a record that changes many times while its channel is busy,
or whose delivery waits for its reserved turn (workers.slack_pace), adds no jobs: the one queued draws
whatever the record is by then. Three rules keep the mark from ever hiding a change:

- It lives only as long as the job it stands for can be waiting: `_QUEUED_TTL_S` for a job queued now, the
  reserved turn plus `_TURN_GRACE_S` for a delivery waiting for its turn. A job lost with its worker, or
  with the writes a Sentinel failover drops, then stops no later change, nor the reconciler's sweep (which
  goes through the mark too, so that it does not queue a delivery for every record waiting for its turn).
- A failure retry (Slack unavailable or rate limiting, Redis failing over) sets no mark: its back-off grows
  to a minute, and a thread must not wait that long once Slack answers again — the next change, or the
  sweep, queues a delivery at once, as before the mark existed. The retry still comes, in case nothing
  changes.
- Only a wait for a reserved turn sets it for longer than a moment: no delivery could post before that turn
  anyway (the channel is booked until then), so a second job would only be handed back again.

Exactly once, even across a SIGKILL: every post carries a `MessageMark` (record id, sequence) in Slack
message metadata, and is noted as *attempted* in Redis before it is sent. A worker killed after Slack
accepted a post but before its ts was saved leaves that note behind; the next delivery reads the thread
(or, for the request message, the channel's recent history) for the mark before posting again, and
adopts the message it finds. Only a post whose outcome is unknown costs that read.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from workers import terway_plan
from workers.context import Context
from workers.domain.records import Record
from workers.redis_connection import NotReplicated
from workers.slack import MessageMark, SlackError, SlackPaced, SlackRefused, SlackUnavailable
from workers.ui.checklist import precheck_of
from workers.ui.kit import Message
from workers.ui.request_message import approvers_label, request_message

log = logging.getLogger(__name__)

_LOCK = "ackmigrate:notify:lock:"
_AGAIN = "ackmigrate:notify:again:"
_FAILURES = "ackmigrate:notify:failures:"
_QUEUED = "ackmigrate:notify:queued:"
_QUEUED_TTL_S = 30
"""A delivery queued to run now starts within seconds (the notify queue comes after the runbook's short steps,
workers.queues); one not started by then was lost, and the next change or sweep queues another."""
_TURN_GRACE_S = 5
"""How long past its reserved turn a waiting delivery keeps the mark: RQ's scheduler moves due jobs once a
second and the job may queue behind runbook steps; past this it was lost (its turn lapsed anyway)."""
_MAX_LOCK_TTL_S = 15.0
_MAX_BACKOFF_S = 60.0
PARENT_SEQ = 0
"""The request message's place among a record's marked posts (thread replies are numbered from 1)."""
_LOOKBACK_S = 60.0  # the channel history read for a lost parent starts this long before the record


def announce(ctx: Context, record_id: str) -> None:
    """A record changed (and maybe queued replies): mark its message stale and deliver soon.

    The dirty mark is what lets the reconciler heal the message if this delivery job is lost.
    """
    ctx.store.mark_message_dirty(record_id)
    request_delivery(ctx, record_id)


def request_delivery(ctx: Context, record_id: str) -> None:
    """Queue the record's delivery now unless one is queued or waits for its reserved turn (it will draw this
    change too).

    The reconciler's sweep comes here as well: a record waiting for its reserved turn stays dirty, and a
    sweep every few seconds queueing a delivery for each such record was, in the wave benchmark, ~20 000
    no-op deliveries in eight minutes. A record whose delivery is only retrying after a failure has no mark
    (see `_retry_later`), so this queues a delivery for it."""
    if ctx.redis.set(_QUEUED + record_id, "1", ex=_QUEUED_TTL_S, nx=True):
        ctx.queues.deliver_notifications(record_id)


def _wait_for_turn(ctx: Context, record_id: str, delay_s: float, turn_in_s: float) -> None:
    """The record's one queued delivery, `delay_s` from now, for the turn the pacer reserved `turn_in_s` from
    now. The mark stands for it until just after that turn, so changes meanwhile queue nothing (nothing could
    be posted before the turn); if this job is lost, the mark lapses soon after and the sweep queues another."""
    ctx.store.mark_message_dirty(record_id)
    ctx.redis.set(_QUEUED + record_id, "1", ex=max(1, math.ceil(turn_in_s + _TURN_GRACE_S)))
    ctx.queues.deliver_notifications(record_id, delay_s=delay_s)


def _retry_later(ctx: Context, record_id: str, delay_s: float) -> None:
    """A retry `delay_s` from now, after a failure (Slack unavailable, Redis failing over). It sets no mark: the
    back-off grows to a minute, and the retry may be lost with a failover's last writes, so the record stays
    open to the next change and to the sweep, which deliver as soon as Slack or Redis answers again."""
    ctx.store.mark_message_dirty(record_id)
    ctx.queues.deliver_notifications(record_id, delay_s=delay_s)


def deliver(ctx: Context, record_id: str) -> None:
    """Post what is pending for one record; reschedule itself (never raise) when Slack is unavailable."""
    ctx.redis.delete(_QUEUED + record_id)  # a change from now on queues another delivery
    owner = uuid.uuid4().hex
    ttl_ms = _lock_ttl_ms(ctx)
    if not _lock(ctx, record_id, owner, ttl_ms):
        ctx.redis.set(_AGAIN + record_id, "1", px=ttl_ms)
        if not _lock(ctx, record_id, owner, ttl_ms):
            return  # the holder will see the note and run once more
    while True:
        try:
            with _Heartbeat(ctx, _LOCK + record_id, owner, ttl_ms):
                _deliver_once(ctx, record_id)
        finally:
            _unlock(ctx, record_id, owner)
        if not ctx.redis.getdel(_AGAIN + record_id) or not _lock(ctx, record_id, owner, ttl_ms):
            return


@contextmanager
def delivery_turn(ctx: Context, record_id: str) -> Iterator[bool]:
    """Hold the record's delivery lock for a post made outside `deliver` (the first request message).

    Yields False when a delivery holds it already: that delivery posts what is missing.
    """
    owner = uuid.uuid4().hex
    ttl_ms = _lock_ttl_ms(ctx)
    if not _lock(ctx, record_id, owner, ttl_ms):
        yield False
        return
    try:
        with _Heartbeat(ctx, _LOCK + record_id, owner, ttl_ms):
            yield True
    finally:
        _unlock(ctx, record_id, owner)


def _deliver_once(ctx: Context, record_id: str) -> None:
    record = ctx.store.get(record_id)
    try:
        record = _ensure_parent(ctx, record)
        _post_pending(ctx, record)
        _redraw_parent(ctx, record_id)
    except SlackPaced as error:
        # The channel is busy (a wave's burst): come back once, for the turn the pacer reserved; not a failure.
        _wait_for_turn(ctx, record_id, error.retry_after_s or 0.0, error.turn_in_s)
        return
    except SlackUnavailable as error:
        delay = _backoff(ctx, record_id, error.retry_after_s)
        _report(ctx, record, error, outcome="retrying")
        _retry_later(ctx, record_id, delay)
        return
    except NotReplicated as error:
        # Redis is failing over: post nothing whose "being posted" mark a new master might not have.
        log.warning("delivery for %s waits: %s", record_id, error)
        _retry_later(ctx, record_id, _backoff(ctx, record_id, None))
        return
    except SlackRefused as error:
        # Retrying cannot help (message deleted, bot removed from the channel): say so once and stop.
        # The replies stay pending; the next change of the record tries again.
        _report(ctx, record, error, outcome="refused")
        ctx.store.mark_message_clean(record_id, ctx.store.get(record_id).version)
        return
    ctx.redis.delete(_FAILURES + record_id)


def _ensure_parent(ctx: Context, record: Record) -> Record:
    """Post the request message if posting it failed earlier: the thread needs a parent."""
    if record.message_ts:
        return record
    return post_parent(ctx, record)


def post_parent(ctx: Context, record: Record) -> Record:
    """Post the request message exactly once and save its ts; the record as saved.

    Raises SlackError like any post; a refusal means it was not posted, anything else may have been.
    """
    mark = MessageMark(record.id, PARENT_SEQ)
    if ctx.store.reply_attempted(record.id, PARENT_SEQ):
        found = ctx.slack.marks_in_channel(record.channel, oldest=record.created_at - _LOOKBACK_S).get(mark)
        if found:
            return _parent_saved(ctx, record.id, found)
    message = render_request(ctx, record)
    ctx.store.mark_reply_attempted(record.id, PARENT_SEQ)
    try:
        ts = ctx.slack.post(record.channel, message.text, message.blocks, mark=mark)
    except SlackError as error:
        _forget_attempt_if_certain(ctx, record.id, PARENT_SEQ, error)
        raise
    return _parent_saved(ctx, record.id, ts)


def _parent_saved(ctx: Context, record_id: str, ts: str) -> Record:
    saved = ctx.store.update(record_id, message_ts=ts)
    ctx.store.clear_reply_attempt(record_id, PARENT_SEQ)
    return saved


def _post_pending(ctx: Context, record: Record) -> None:
    """Replies in sequence order, each marked posted at once; the first failure stops the rest.

    A reply whose earlier post has an unknown outcome is looked for in the thread first (one read of
    the thread per delivery, and only when there is such a reply).
    """
    thread_ts = str(record.message_ts)
    in_thread: dict[MessageMark, str] | None = None
    for seq, reply in ctx.store.pending_replies(record.id):
        mark = MessageMark(record.id, seq)
        if ctx.store.reply_attempted(record.id, seq):
            if in_thread is None:
                in_thread = _marks_in_thread(ctx, record, thread_ts)
            if mark in in_thread:
                ctx.store.mark_reply_posted(record.id, seq, in_thread[mark])
                continue
        ctx.store.mark_reply_attempted(record.id, seq)
        try:
            ts = ctx.slack.post_reply(
                record.channel, thread_ts, reply.text, reply.blocks, broadcast=reply.broadcast, mark=mark
            )
        except SlackError as error:
            _forget_attempt_if_certain(ctx, record.id, seq, error)
            raise
        ctx.store.mark_reply_posted(record.id, seq, ts)


def _marks_in_thread(ctx: Context, record: Record, thread_ts: str) -> dict[MessageMark, str]:
    """The thread's marked replies; if Slack refuses to show the thread, none (post rather than lose).

    A refusal here is a missing `channels:history`/`groups:history` scope or a deleted thread: the
    reply is then posted again, which may show it twice, but a reply is never silently dropped.
    """
    try:
        return ctx.slack.marks_in_thread(record.channel, thread_ts)
    except SlackRefused as error:
        _report(ctx, record, error, outcome="posting without the duplicate check")
        return {}


def _forget_attempt_if_certain(ctx: Context, record_id: str, seq: int, error: SlackError) -> None:
    """Slack said no, rate limited the call, or the channel's pacer held it back: the post certainly did not
    happen, nothing to look for."""
    if isinstance(error, SlackRefused | SlackPaced) or error.code == "ratelimited":
        ctx.store.clear_reply_attempt(record_id, seq)


def _redraw_parent(ctx: Context, record_id: str) -> None:
    """Render the record as it is now; clean only up to the version drawn (a newer change stays dirty).

    A version Slack already shows is not sent again: a second delivery of one change (the reconciler's
    sweep finding it dirty while the first delivery was queued) would cost a chat.update per record,
    and with hundreds of migrations in one channel those count against Slack's rate limit.
    """
    record = ctx.store.get(record_id)
    if ctx.store.drawn_version(record_id) >= record.version:
        ctx.store.mark_message_clean(record_id, record.version)
        return
    message = render_request(ctx, record)
    ctx.slack.update(record.channel, str(record.message_ts), message.text, message.blocks)
    ctx.store.mark_message_drawn(record_id, record.version)


def render_request(ctx: Context, record: Record) -> Message:
    """The request message as the record says it is now; the one renderer of parents."""
    return request_message(
        record,
        approvers_label=approvers_label(ctx.settings.approvers),
        two_person_rule=ctx.settings.two_person_rule,
        now=time.time(),
        # Only a migration's prechecks can name terway (a cleanup has none), so this asks no kind.
        will_also=terway_plan.planned(ctx.settings, precheck_of(record)),
    )




def _backoff(ctx: Context, record_id: str, retry_after_s: float | None) -> float:
    failures = int(ctx.redis.incr(_FAILURES + record_id))
    ctx.redis.expire(_FAILURES + record_id, 3600)
    delay = min(_MAX_BACKOFF_S, float(2 ** (failures - 1)))
    return max(delay, retry_after_s or 0.0)


def _report(ctx: Context, record: Record, error: SlackError, *, outcome: str) -> None:
    log.warning("Slack %s for request %s: %s (%s)", error.method, record.id, error.code, outcome)
    ctx.audit.append(
        "slack_error",
        record_id=record.id,
        cluster_id=record.cluster_id,
        outcome=outcome,
        method=error.method,
        error=error.code,
    )


def _lock_ttl_ms(ctx: Context) -> int:
    """Short, and never longer than a record's lease: the same 'a silent owner is gone' promise."""
    return int(min(_MAX_LOCK_TTL_S, ctx.timing.lease_ttl_s) * 1000)


def _lock(ctx: Context, record_id: str, owner: str, ttl_ms: int) -> bool:
    return bool(ctx.redis.set(_LOCK + record_id, owner, px=ttl_ms, nx=True))


_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class _Heartbeat:
    """Renews a lock its owner still holds, every third of its TTL, until the `with` block ends.

    A renewal that fails (Redis away) is logged and tried again next beat: if the holder is cut off for
    longer than the TTL, the lock lapses, which is the point.
    """

    def __init__(self, ctx: Context, key: str, owner: str, ttl_ms: int) -> None:
        self._redis = ctx.redis
        self._key, self._owner, self._ttl_ms = key, owner, ttl_ms
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat {key}", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self._ttl_ms / 3000):
            try:
                self._redis.eval(_RENEW, 1, self._key, self._owner, self._ttl_ms)
            except Exception as error:  # noqa: BLE001 — a missed beat is retried; the lock may lapse
                log.warning("could not renew %s: %s", self._key, error)


def _unlock(ctx: Context, record_id: str, owner: str) -> None:
    current = ctx.redis.get(_LOCK + record_id)
    if current is not None and current.decode() == owner:
        ctx.redis.delete(_LOCK + record_id)
