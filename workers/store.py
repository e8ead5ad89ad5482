"""The record store: every request's record, the per-cluster lock and each thread's outbox, in Redis.

Redis is the source of truth (ARCHITECTURE.md): a state change is written here, checked against the state
machine in `workers.domain.records`, *before* anything is shown in Slack. Every write is one Lua script — a
compare-and-set on the record's version plus its index and outbox updates — so two approvers clicking
at once, a retried job or several bot replicas can never both win a transition, and a reply is queued
if and only if the change it announces was saved.

Keys (all under `ackmigrate:`; nothing here expires, records are small and are the history):

- `ackmigrate:record:{id}` — hash: `data` (the record as JSON), `version` (its write counter).
- `ackmigrate:lock:cluster:{cluster_id}` — string: the id of the one non-terminal record that holds
  the cluster. Taken by `create`, released by the transition into a terminal state (no TTL: a migration
  may legitimately take hours, and a lock that lapsed mid-migration would let a second one start).
- `ackmigrate:records:in-flight` — sorted set: ids of non-terminal records, scored by created_at.
- `ackmigrate:records:finished` — sorted set: ids of terminal records, scored by when they ended.
- `ackmigrate:records:awaiting-approval` — sorted set: ids awaiting approval, scored by expires_at.
- `ackmigrate:records:cluster:{ref}` — sorted set per cluster id and per cluster name: every record
  of that cluster, scored by created_at.
- `ackmigrate:record:{id}:replies` — hash: sequence number → reply JSON (the thread's outbox).
- `ackmigrate:record:{id}:replies:seq` — string counter: the last sequence number handed out.
- `ackmigrate:record:{id}:replies:posted` — hash: sequence number → Slack ts of the posted reply.
- `ackmigrate:record:{id}:replies:attempted` — hash: sequence number → when a post of it was sent and
  its outcome not yet saved. A reply found here after a crash may already be in the thread: the next
  delivery looks for it there (by its message metadata) before posting it again.
- `ackmigrate:messages:dirty` — sorted set: ids whose parent message Slack missed an update of,
  scored by the record version at the time, so a render of an older version cannot clear it.
- `ackmigrate:messages:drawn` — hash: id → the newest record version Slack accepted a render of, so a
  second delivery of an unchanged record (a reconciler sweep racing the first) makes no Slack call.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from redis import Redis

from workers.checks.model import PrecheckReport
from workers.domain.records import Approval, IllegalTransition, Record, State, check_transition
from workers.domain.workflows import NEEDS_A_JOB, Workflow
from workers.redis_connection import write_durably
from workers.ui import reasons

PREFIX = "ackmigrate:"
IN_FLIGHT_KEY = f"{PREFIX}records:in-flight"
FINISHED_KEY = f"{PREFIX}records:finished"
AWAITING_KEY = f"{PREFIX}records:awaiting-approval"
DIRTY_KEY = f"{PREFIX}messages:dirty"
DRAWN_KEY = f"{PREFIX}messages:drawn"


_FIXED_FIELDS = frozenset({"id", "kind", "version", "created_at", "updated_at"})
_FIELD_NAMES = frozenset(f.name for f in fields(Record))


def record_key(record_id: str) -> str:
    return f"{PREFIX}record:{record_id}"


def lock_key(cluster_id: str) -> str:
    return f"{PREFIX}lock:cluster:{cluster_id}"


def cluster_index_key(cluster_ref: str) -> str:
    return f"{PREFIX}records:cluster:{cluster_ref}"


def replies_key(record_id: str) -> str:
    return f"{record_key(record_id)}:replies"


def _reply_seq_key(record_id: str) -> str:
    return f"{replies_key(record_id)}:seq"


def _posted_key(record_id: str) -> str:
    return f"{replies_key(record_id)}:posted"


def _attempted_key(record_id: str) -> str:
    return f"{replies_key(record_id)}:attempted"


class RecordNotFound(KeyError):
    """No record with this id (a stale button, a typo in a terminal command)."""

    def __init__(self, record_id: str) -> None:
        self.record_id = record_id
        super().__init__(record_id)

    def __str__(self) -> str:
        return f"no request with id {self.record_id}"


class AlreadyApproved(Exception):
    """This person's approval is already counted: one person is one approval, however often they click."""

    def __init__(self, record: Record, user: str) -> None:
        self.record = record
        self.user = user
        super().__init__(f"{user} already approved request {record.id}")


class ClusterBusy(Exception):
    """The cluster already has a non-terminal request: one workflow per cluster at a time."""

    def __init__(self, existing: Record) -> None:
        self.existing = existing
        super().__init__(
            f"{existing.cluster_name} ({existing.cluster_id}) already has a {existing.kind} request "
            f"{existing.id} that is {existing.state}"
        )


@dataclass(frozen=True)
class Reply:
    """One message for the request's thread, queued with the change it announces."""

    text: str
    blocks: list[dict[str, Any]] | None = None
    broadcast: bool = False  # also show it in the channel (reply_broadcast)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> Reply:
        data: dict[str, Any] = json.loads(text)
        return cls(text=str(data["text"]), blocks=data.get("blocks"), broadcast=bool(data.get("broadcast")))


# KEYS: record, lock, in-flight, by-cluster-id, by-cluster-name, awaiting
# ARGV: id, json, version, created_at, awaiting expiry ('' when not awaiting)
_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists'} end
local holder = redis.call('GET', KEYS[2])
if holder then return {'busy', holder} end
redis.call('SET', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'version', ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[4], ARGV[1])
if ARGV[5] ~= '' then redis.call('ZADD', KEYS[6], ARGV[5], ARGV[1]) end
return {'ok'}
"""

# KEYS: record, in-flight, finished, awaiting, lock, replies, reply seq
# ARGV: id, expected version, new version, json, ends ('1' when this write makes the record terminal),
#       ended_at, awaiting expiry ('' when not awaiting), reply json ('' for none)
# Returns -2 when the record is gone, -1 when someone else wrote first, else the reply's seq (0: none).
_SAVE = """
local current = redis.call('HGET', KEYS[1], 'version')
if not current then return -2 end
if current ~= ARGV[2] then return -1 end
redis.call('HSET', KEYS[1], 'data', ARGV[4], 'version', ARGV[3])
if ARGV[5] == '1' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZADD', KEYS[3], ARGV[6], ARGV[1])
  if redis.call('GET', KEYS[5]) == ARGV[1] then redis.call('DEL', KEYS[5]) end
end
if ARGV[7] ~= '' then
  redis.call('ZADD', KEYS[4], ARGV[7], ARGV[1])
else
  redis.call('ZREM', KEYS[4], ARGV[1])
end
if ARGV[8] == '' then return 0 end
local seq = redis.call('INCR', KEYS[7])
redis.call('HSET', KEYS[6], seq, ARGV[8])
return seq
"""

# KEYS: replies, seq. ARGV: reply json.
_ADD_REPLY = """
local seq = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], seq, ARGV[1])
return seq
"""

# KEYS: lock. ARGV: the holder we found stale. Deletes only if it still holds the lock.
_RELEASE_STALE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: dirty. ARGV: id, version rendered. Clears only when the render is at least as new as the mark.
_CLEAN = """
local marked = redis.call('ZSCORE', KEYS[1], ARGV[1])
if marked and tonumber(marked) <= tonumber(ARGV[2]) then return redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
"""

# KEYS: dirty, drawn. ARGV: id, version Slack accepted. Remember the newest version drawn, then clean.
_DRAWN = """
local drawn = redis.call('HGET', KEYS[2], ARGV[1])
if (not drawn) or tonumber(drawn) < tonumber(ARGV[2]) then redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
local marked = redis.call('ZSCORE', KEYS[1], ARGV[1])
if marked and tonumber(marked) <= tonumber(ARGV[2]) then return redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
"""


class RecordStore:
    """Records, locks and outboxes for one Redis; safe to share between threads and processes."""

    def __init__(self, redis: Redis, *, clock: Callable[[], float] = time.time, replicas: int = 0) -> None:
        self.redis = redis
        self.clock = clock
        self.replicas = replicas  # how many replicas must hold an "attempted" mark before its post is sent
        self._create = redis.register_script(_CREATE)
        self._save = redis.register_script(_SAVE)
        self._add_reply = redis.register_script(_ADD_REPLY)
        self._release_stale = redis.register_script(_RELEASE_STALE)
        self._clean = redis.register_script(_CLEAN)
        self._drawn = redis.register_script(_DRAWN)

    # -- one record ---------------------------------------------------------------------------------

    def create(self, record: Record) -> Record:
        """Save a new request and take its cluster's lock, or raise ClusterBusy naming the holder."""
        if record.terminal:
            raise ValueError(f"a new request cannot start {record.state}")
        now = self.clock()
        saved = replace(record, version=1, updated_at=now)
        while True:
            answer = self._create(
                keys=[record_key(saved.id), lock_key(saved.cluster_id), IN_FLIGHT_KEY,
                      cluster_index_key(saved.cluster_id), cluster_index_key(saved.cluster_name),
                      AWAITING_KEY],
                args=[saved.id, saved.to_json(), saved.version, saved.created_at, _awaiting_score(saved)],
            )
            outcome = _text(answer[0])
            if outcome == "ok":
                return saved
            if outcome == "exists":
                raise ValueError(f"request {saved.id} already exists")
            holder = _text(answer[1])
            existing = self.find(holder)
            if existing is not None and not existing.terminal:
                raise ClusterBusy(existing)
            # The holder ended (or vanished) without releasing: a lock must never outlive its record.
            self._release_stale(keys=[lock_key(saved.cluster_id)], args=[holder])

    def find(self, record_id: str) -> Record | None:
        data = self.redis.hget(record_key(record_id), "data")
        return None if data is None else Record.from_json(data)

    def get(self, record_id: str) -> Record:
        record = self.find(record_id)
        if record is None:
            raise RecordNotFound(record_id)
        return record

    def transition(self, record_id: str, to: State, *, reply: Reply | None = None, **changes: Any) -> Record:
        """Move a record to `to` if the state machine allows it from the state it is in *now*.

        Raises IllegalTransition (nothing written, no reply queued) otherwise; of two racing callers
        wanting the same transition, the second finds the first's state and is refused.
        """
        _check_changes(changes)

        def change(current: Record) -> Record:
            check_transition(current, to)
            return replace(current, state=to, **changes)

        return self._write(record_id, change, reply)

    def update(self, record_id: str, *, reply: Reply | None = None, **changes: Any) -> Record:
        """Change fields other than the state (progress, task id, message ts), atomically."""
        _check_changes(changes)
        return self._write(record_id, lambda current: replace(current, **changes), reply)

    def approve(self, record_id: str, *, user: str, at: float, reply: Callable[[Record], Reply]) -> Record:
        """Count `user`'s approval; the one that completes `approvals_required` moves it to APPROVED.

        Atomic like every write: of two approvals racing for the last place, exactly one completes the
        request (and its caller starts the job); the other finds it APPROVED and gets IllegalTransition.
        `reply(saved)` is the thread reply for the approval as counted ("1 of 2", or "approved").
        Raises AlreadyApproved when `user` is already among the approvers.
        """

        def change(current: Record) -> tuple[Record, Reply]:
            check_transition(current, State.APPROVED)  # only an undecided request takes approvals
            if user in current.approvers:
                raise AlreadyApproved(current, user)
            approvals = [*current.approvals, Approval(user=user, at=at)]
            counted = replace(current, approvals=approvals)
            if len(approvals) >= current.approvals_required:
                counted = replace(counted, state=State.APPROVED, decided_by=user, decided_at=at)
            return counted, reply(counted)

        return self._write_with(record_id, change)

    def renew_request(self, record_id: str, *, precheck: PrecheckReport, reply: Reply) -> Record:
        """Show a request's approvers fresh prechecks: approvals given to the old ones no longer count.

        Only while it awaits approval (IllegalTransition otherwise): a decision taken meanwhile stands.
        """

        def change(current: Record) -> Record:
            if current.state is not State.AWAITING_APPROVAL:
                raise IllegalTransition(current.id, current.kind, current.state, State.AWAITING_APPROVAL)
            return replace(current, precheck=precheck, approvals=[])

        return self._write(record_id, change, reply)

    def revise(self, record_id: str, decide: Callable[[Record], tuple[Record, Reply | None] | None]) -> Record | None:
        """Change a record by what it is *now*: `decide(current)` returns the record wanted (and its reply),
        or None to leave it as it is (then nothing is written and None is returned).

        For a change that depends on what was already done (the next stage to tell, say): a lost race reads
        again and decides again, so the decision is always made on the version the write replaces. A copy
        read earlier is not good enough: after a Sentinel failover it may be the demoted master's, holding
        writes the new master never got. The state is not changed here (`transition` checks the moves)."""

        def change(current: Record) -> tuple[Record, Reply | None]:
            decided = decide(current)
            if decided is None:
                raise _Unchanged
            wanted, reply = decided
            if wanted.state is not current.state:
                raise ValueError(f"revise does not move states ({current.state} -> {wanted.state}): use transition")
            return wanted, reply

        try:
            return self._write_with(record_id, change)
        except _Unchanged:
            return None

    def _write(self, record_id: str, change: Callable[[Record], Record], reply: Reply | None) -> Record:
        return self._write_with(record_id, lambda current: (change(current), reply))

    def _write_with(self, record_id: str, change: Callable[[Record], tuple[Record, Reply | None]]) -> Record:
        """Read, change, compare-and-set on the version; on a lost race read again and re-decide."""
        while True:
            current = self.get(record_id)
            wanted, reply = change(current)
            saved = replace(wanted, version=current.version + 1, updated_at=self.clock())
            ends = saved.terminal and not current.terminal
            answer = int(self._save(
                keys=[record_key(record_id), IN_FLIGHT_KEY, FINISHED_KEY, AWAITING_KEY,
                      lock_key(saved.cluster_id), replies_key(record_id), _reply_seq_key(record_id)],
                args=[record_id, current.version, saved.version, saved.to_json(), "1" if ends else "0",
                      saved.updated_at, _awaiting_score(saved), reply.to_json() if reply else ""],
            ))
            if answer == -2:
                raise RecordNotFound(record_id)
            if answer >= 0:
                return saved

    # -- the thread's outbox ------------------------------------------------------------------------

    def add_reply(self, record_id: str, reply: Reply) -> int:
        """Queue a thread reply on its own (no record change); returns its sequence number."""
        if not self.redis.exists(record_key(record_id)):
            raise RecordNotFound(record_id)
        return int(self._add_reply(keys=[replies_key(record_id), _reply_seq_key(record_id)],
                                   args=[reply.to_json()]))

    def pending_replies(self, record_id: str) -> list[tuple[int, Reply]]:
        """Replies not yet posted, oldest first: the order the thread must show them in."""
        posted = {int(seq) for seq in self.redis.hkeys(_posted_key(record_id))}
        return [(seq, reply) for seq, reply in self._replies(record_id) if seq not in posted]

    def mark_reply_attempted(self, record_id: str, seq: int) -> None:
        """Say a post of this reply is being sent: until it is marked posted, its outcome is unknown.

        Written durably (workers.redis_connection.write_durably): a failover that forgot the mark would
        also forget to look for the post, and post it twice."""
        write_durably(self.redis, self.replicas,
                      lambda pipe: pipe.hset(_attempted_key(record_id), str(seq), str(time.time())))

    def reply_attempted(self, record_id: str, seq: int) -> bool:
        """A post of this reply was sent and its outcome never saved (its sender died or lost Redis)."""
        return bool(self.redis.hexists(_attempted_key(record_id), str(seq)))

    def clear_reply_attempt(self, record_id: str, seq: int) -> None:
        """Slack said for certain the post did not happen (refused, rate limited): nothing to look for."""
        self.redis.hdel(_attempted_key(record_id), str(seq))

    def mark_reply_posted(self, record_id: str, seq: int, ts: str) -> None:
        if not self.redis.hexists(replies_key(record_id), str(seq)):
            raise KeyError(f"request {record_id} has no reply {seq}")
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(_posted_key(record_id), str(seq), ts)
        pipe.hdel(_attempted_key(record_id), str(seq))
        pipe.execute()

    def posted_replies(self, record_id: str) -> list[tuple[int, Reply, str]]:
        posted = {int(seq): _text(ts) for seq, ts in self.redis.hgetall(_posted_key(record_id)).items()}
        return [(seq, reply, posted[seq]) for seq, reply in self._replies(record_id) if seq in posted]

    def _replies(self, record_id: str) -> list[tuple[int, Reply]]:
        stored = self.redis.hgetall(replies_key(record_id))
        return sorted((int(seq), Reply.from_json(data)) for seq, data in stored.items())

    # -- many records -------------------------------------------------------------------------------

    def active_for_cluster(self, cluster_id: str) -> Record | None:
        holder = self.redis.get(lock_key(cluster_id))
        if holder is None:
            return None
        record = self.find(_text(holder))
        return None if record is None or record.terminal else record

    def in_flight(self) -> list[Record]:
        """Every non-terminal record, oldest first."""
        return self._load(self.redis.zrange(IN_FLIGHT_KEY, 0, -1))

    def recent(self, limit: int = 20, since: float | None = None) -> list[Record]:
        """Ended records, newest first; `since` keeps only those that ended at or after it."""
        low: float | str = "-inf" if since is None else since
        ids = self.redis.zrevrangebyscore(FINISHED_KEY, "+inf", low, start=0, num=limit)
        return self._load(ids)

    def for_cluster(self, cluster_ref: str) -> list[Record]:
        """Every record of a cluster given by id or by name, newest first."""
        return self._load(self.redis.zrevrange(cluster_index_key(cluster_ref), 0, -1))

    def last_succeeded(self, cluster_ref: str, workflow: Workflow) -> Record | None:
        """The cluster's newest request of `workflow` that succeeded (a cleanup's parent, the verification's
        baseline)."""
        return next((r for r in self.for_cluster(cluster_ref)
                     if r.workflow is workflow and r.state is workflow.succeeded), None)

    def needs_attention(self) -> list[Record]:
        """Approved or in-cloud records: each must have a job following it (the reconciler's list)."""
        return [record for record in self.in_flight() if record.state in NEEDS_A_JOB]

    def expire_due(
        self, now: float | None = None, *, reply: Callable[[Record], Reply] | None = None
    ) -> list[Record]:
        """Expire every approval request past its deadline; each is returned by exactly one caller.

        `reply`, when given, builds the thread reply queued with the expiry in the same write.
        """
        moment = self.clock() if now is None else now
        expired: list[Record] = []
        for raw in self.redis.zrangebyscore(AWAITING_KEY, "-inf", moment):
            record_id = _text(raw)
            try:
                expired.append(self._expire(record_id, moment, reply))
            except _NotDue:
                continue
        return expired

    def _expire(self, record_id: str, moment: float, reply: Callable[[Record], Reply] | None) -> Record:
        def change(current: Record) -> Record:
            awaiting = current.state is State.AWAITING_APPROVAL
            if not awaiting or current.expires_at is None or current.expires_at > moment:
                raise _NotDue  # decided, extended or expired by another worker since we listed it
            return replace(current, state=State.EXPIRED, reason=reasons.EXPIRED)

        current = self.find(record_id)
        if current is None:
            raise _NotDue
        return self._write(record_id, change, reply(current) if reply else None)

    # -- parent messages Slack missed ---------------------------------------------------------------

    def mark_message_dirty(self, record_id: str) -> None:
        """Remember that the parent message no longer shows the record (an update to Slack failed)."""
        record = self.get(record_id)
        self.redis.zadd(DIRTY_KEY, {record_id: record.version}, gt=True)  # GT also adds a new member

    def dirty_messages(self) -> list[str]:
        return [_text(raw) for raw in self.redis.zrange(DIRTY_KEY, 0, -1)]

    def mark_message_clean(self, record_id: str, version: int) -> None:
        """The message now shows `version`; it stays dirty if it was marked after a newer version."""
        self._clean(keys=[DIRTY_KEY], args=[record_id, version])

    def mark_message_drawn(self, record_id: str, version: int) -> None:
        """Slack accepted a render of `version`: clean as above, and remember it was drawn."""
        self._drawn(keys=[DIRTY_KEY, DRAWN_KEY], args=[record_id, version])

    def drawn_version(self, record_id: str) -> int:
        """The newest version of the record its parent message shows (0: none drawn yet)."""
        drawn = self.redis.hget(DRAWN_KEY, record_id)
        return 0 if drawn is None else int(drawn)

    def _load(self, ids: Iterable[bytes | str]) -> list[Record]:
        keys = [_text(raw) for raw in ids]
        if not keys:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for record_id in keys:
            pipe.hget(record_key(record_id), "data")
        return [Record.from_json(data) for data in pipe.execute() if data is not None]


class _NotDue(Exception):
    """An expiry candidate that is no longer due (decided or extended since it was listed)."""


class _Unchanged(Exception):
    """`revise`'s decision was to leave the record as it is: nothing to write."""


def _check_changes(changes: dict[str, Any]) -> None:
    """Refuse unknown fields, and fields only the store sets (`state` moves through `transition`)."""
    unknown = set(changes) - _FIELD_NAMES
    if unknown:
        raise TypeError(f"records have no field(s) {', '.join(sorted(unknown))}")
    fixed = set(changes) & (_FIXED_FIELDS | {"state"})
    if fixed:
        raise TypeError(f"{', '.join(sorted(fixed))} cannot be changed this way")


def _awaiting_score(record: Record) -> str:
    if record.state is State.AWAITING_APPROVAL and record.expires_at is not None:
        return repr(record.expires_at)
    return ""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value

