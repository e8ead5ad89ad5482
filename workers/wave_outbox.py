"""A wave's outbox in Redis: the thread lines still to post, and what is known about each post.

Shaped like the record store's replies (workers.store): the engine adds a line in Redis and returns at
once; `workers.wave_notify.deliver` posts the lines in order later. A line is stored as its *event*
(workers.domain.wave_events), not as text: the words — and the link to the cluster's own thread, whose
parent may not be posted yet when the cluster starts — are rendered when the line is posted.

Exactly once: each line has a key (`cluster_event_key` / `wave_event_key`); adding a key already added is a
no-op, so a retried engine job cannot queue a line twice. Posting: a line is marked *attempted* (durably)
before its chat.postMessage; one whose outcome was lost (SIGKILL between Slack's answer and `mark_posted`)
is looked for by its `MessageMark` in the thread before it is posted again.

Keys (under `ackmigrate:wave:{name}:`; kept with the wave, nothing expires):

- `lines` — hash seq → {"key", "cluster_id", "event"} (JSON); seq from 1, in the order added.
- `line-keys` — hash key → seq: the exactly-once index.
- `line-seq` — counter.
- `posted` — hash seq → ts.  `attempted` — hash seq → when the post was sent.
- `drawn` — the wave version the parent message shows; a wave saved since needs a redraw.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from redis import Redis

from workers.domain.wave_events import ClusterEvent, WaveEvent, from_json, to_json
from workers.redis_connection import write_durably
from workers.wave_store import wave_key

PARENT_SEQ = 0
"""The wave message's place among its marked posts (thread lines are numbered from 1)."""


def _key(name: str, part: str) -> str:
    return f"{wave_key(name)}:{part}"


@dataclass(frozen=True)
class Line:
    """One thread line to post: its place, its exactly-once key, the cluster it is about (if any), what happened."""

    seq: int
    key: str
    cluster_id: str | None
    event: ClusterEvent | WaveEvent
    added_at: float = 0.0  # epoch seconds


# KEYS: lines, line-keys, line-seq. ARGV: key, payload json. Returns the line's seq (new or existing).
_ADD = """
local existing = redis.call('HGET', KEYS[2], ARGV[1])
if existing then return tonumber(existing) end
local seq = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], seq, ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], seq)
return seq
"""


class WaveOutbox:
    """Thread lines and redraw marks of every wave in one Redis."""

    def __init__(self, redis: Redis, *, replicas: int = 0) -> None:
        self.redis = redis
        self.replicas = replicas
        self._add = redis.register_script(_ADD)

    def add(self, name: str, key: str, event: ClusterEvent | WaveEvent, *, cluster_id: str | None = None) -> int:
        """Queue a line once per key; returns its seq (the first one's, when the key was added before)."""
        payload = json.dumps({"key": key, "cluster_id": cluster_id, "event": to_json(event), "at": time.time()})
        return int(self._add(keys=[_key(name, "lines"), _key(name, "line-keys"), _key(name, "line-seq")],
                             args=[key, payload]))

    def pending(self, name: str) -> list[Line]:
        """Lines not yet posted, in the order they were added."""
        lines = self.redis.hgetall(_key(name, "lines"))
        posted = {int(seq) for seq in self.redis.hkeys(_key(name, "posted"))}
        pending = []
        for raw_seq, raw in lines.items():
            seq = int(raw_seq)
            if seq in posted:
                continue
            data = json.loads(raw)
            pending.append(Line(seq=seq, key=str(data["key"]), cluster_id=data.get("cluster_id"),
                                event=from_json(data["event"]), added_at=float(data.get("at") or 0.0)))
        return sorted(pending, key=lambda line: line.seq)

    def has_pending(self, name: str) -> bool:
        """Some line is not posted yet (cheap: two counts, for the reconciler's sweep)."""
        return int(self.redis.hlen(_key(name, "lines"))) > int(self.redis.hlen(_key(name, "posted")))

    def posted(self, name: str) -> dict[int, str]:
        return {int(seq): _text(ts) for seq, ts in self.redis.hgetall(_key(name, "posted")).items()}

    def mark_attempted(self, name: str, seq: int) -> None:
        """A post of `seq` is being sent: until marked posted its outcome is unknown (durable, like replies')."""
        write_durably(self.redis, self.replicas,
                      lambda pipe: pipe.hset(_key(name, "attempted"), str(seq), str(time.time())))

    def attempted(self, name: str, seq: int) -> bool:
        return bool(self.redis.hexists(_key(name, "attempted"), str(seq)))

    def clear_attempt(self, name: str, seq: int) -> None:
        """Slack said for certain the post did not happen: nothing to look for next time."""
        self.redis.hdel(_key(name, "attempted"), str(seq))

    def mark_posted(self, name: str, seq: int, ts: str) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(_key(name, "posted"), str(seq), ts)
        pipe.hdel(_key(name, "attempted"), str(seq))
        pipe.execute()

    # -- the parent's redraw ---------------------------------------------------------------------------

    def drawn_version(self, name: str) -> int:
        """The wave version the parent message shows (0: none drawn yet); older than the wave's: redraw."""
        raw = self.redis.get(_key(name, "drawn"))
        return int(raw) if raw is not None else 0

    def mark_drawn(self, name: str, version: int) -> None:
        self.redis.set(_key(name, "drawn"), str(version))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
