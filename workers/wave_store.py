"""The wave store: every wave's record and the set of its running clusters, in Redis.

Shaped like `workers.store`: the rules are pure functions in `workers.domain.waves` (a wave in, the next
wave out, or a refusal), and every write here is one Lua script that compares the wave's version with
the one the change was computed from. Of two workers (or two approvers) racing for the same change, one
wins; the other reads the wave again and decides afresh — often to be refused.

Exactly once, and never more than `max_parallel`. Starting a cluster goes through `claim_start`, whose
Lua script — in one atomic step — checks the version, that no freeze key exists, that the cluster is not
already in the wave's running set and that the set holds fewer than `max_parallel`, then saves the wave
with the cluster running and adds it to the set. So whatever the scheduler decided on an older copy,
two workers can never both start a cluster, never exceed the cap, and never start while frozen; a
paused or cancelled wave refuses in the pure check, which is made on the very version the script
verifies. The set and the record are only ever changed together, in the same scripts.

Keys (all under `ackmigrate:`; waves are the history, nothing expires):

- `ackmigrate:wave:{name}` — hash: `data` (the wave as JSON), `version` (its write counter).
- `ackmigrate:wave:{name}:running` — set: ids of the wave's clusters in state running.
- `ackmigrate:waves` — sorted set: every wave's name, scored by created_at (names are unique for good).
- `ackmigrate:waves:awaiting-approval` — sorted set: waves awaiting approval, scored by expires_at.
- `ackmigrate:freeze` — read only here (`workers.freeze_store` writes it): while it exists nothing starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from redis import Redis

from workers.domain import waves
from workers.domain.waves import (
    Blocker,
    ClaimRefusal,
    ClusterState,
    PauseReason,
    StartRefused,
    Wave,
    WaveCluster,
    WaveRefused,
    WaveState,
)
from workers.freeze_store import FREEZE_KEY

PREFIX = "ackmigrate:"
WAVES_KEY = f"{PREFIX}waves"
AWAITING_KEY = f"{PREFIX}waves:awaiting-approval"


def wave_key(name: str) -> str:
    return f"{PREFIX}wave:{name}"


def running_key(name: str) -> str:
    return f"{wave_key(name)}:running"


class WaveNotFound(KeyError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(name)

    def __str__(self) -> str:
        return f"no wave named {self.name}"


class WaveExists(Exception):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"a wave named {name} already exists; wave names are kept for good, choose another")


@dataclass(frozen=True)
class Claimed:
    """The cluster is marked running: the caller now owns its start (precheck, then the migration)."""

    wave: Wave


@dataclass(frozen=True)
class NotClaimed:
    """Nothing was written; `why` says what stood in the way, `wave` is what was found."""

    why: ClaimRefusal
    wave: Wave


ClaimOutcome = Claimed | NotClaimed

# KEYS: wave, waves index, awaiting. ARGV: name, json, created_at, awaiting expiry ('' when not awaiting)
_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'version', '1')
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
if ARGV[4] ~= '' then redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1]) end
return 1
"""

# KEYS: wave, awaiting, running. ARGV: name, expected version, new version, json,
#       awaiting expiry ('' when not awaiting), cluster id to drop from the running set ('' for none)
# Returns -2 when the wave is gone, -1 when someone else wrote first, 1 when saved.
_SAVE = """
local current = redis.call('HGET', KEYS[1], 'version')
if not current then return -2 end
if current ~= ARGV[2] then return -1 end
redis.call('HSET', KEYS[1], 'data', ARGV[4], 'version', ARGV[3])
if ARGV[5] ~= '' then redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1]) else redis.call('ZREM', KEYS[2], ARGV[1]) end
if ARGV[6] ~= '' then redis.call('SREM', KEYS[3], ARGV[6]) end
return 1
"""

# KEYS: wave, running, freeze. ARGV: expected version, new version, json, cluster id, max_parallel
_CLAIM = """
local current = redis.call('HGET', KEYS[1], 'version')
if not current then return 'gone' end
if current ~= ARGV[1] then return 'stale' end
if redis.call('EXISTS', KEYS[3]) == 1 then return 'frozen' end
if redis.call('SISMEMBER', KEYS[2], ARGV[4]) == 1 then return 'not_pending' end
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[5]) then return 'slots_full' end
redis.call('HSET', KEYS[1], 'data', ARGV[3], 'version', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[4])
return 'ok'
"""


class WaveStore:
    """Waves for one Redis; safe to share between threads and processes."""

    def __init__(self, redis: Redis, *, clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.clock = clock
        self._create = redis.register_script(_CREATE)
        self._save = redis.register_script(_SAVE)
        self._claim = redis.register_script(_CLAIM)

    # -- one wave -----------------------------------------------------------------------------------

    def create(self, wave: Wave) -> Wave:
        """Save a new wave; WaveExists when the name was ever used."""
        if wave.state not in (WaveState.REQUESTED, WaveState.AWAITING_APPROVAL):
            raise ValueError(f"a new wave cannot start {wave.state}")
        if any(c.state not in (ClusterState.PENDING, ClusterState.SKIPPED) for c in wave.clusters):
            raise ValueError("a new wave's clusters are pending, or skipped with their blocker")
        now = self.clock()
        saved = replace(wave, version=1, created_at=wave.created_at or now, updated_at=now)
        created = self._create(keys=[wave_key(saved.name), WAVES_KEY, AWAITING_KEY],
                               args=[saved.name, saved.to_json(), saved.created_at, _awaiting_score(saved)])
        if not int(created):
            raise WaveExists(saved.name)
        return saved

    def find(self, name: str) -> Wave | None:
        data, version = self.redis.hmget(wave_key(name), ["data", "version"])
        if data is None or version is None:
            return None
        return replace(Wave.from_json(data), version=int(version))

    def get(self, name: str) -> Wave:
        wave = self.find(name)
        if wave is None:
            raise WaveNotFound(name)
        return wave

    def propose(self, name: str, *, clusters: Iterable[WaveCluster], expires_at: float) -> Wave:
        chosen = tuple(clusters)
        return self._write(name, lambda w: waves.propose(w, clusters=chosen, expires_at=expires_at))

    def approve(self, name: str, *, user: str, at: float, two_person_rule: bool = True) -> Wave:
        """Count `user`'s approval (M of N); of two racing for the last place exactly one approves the wave.

        Refused (WaveRefused subclasses) for the requester under the two-person rule, for a second
        approval by the same person, and once the wave is decided."""
        return self._write(name, lambda w: waves.approve(w, user=user, at=at, two_person_rule=two_person_rule))

    def reject(self, name: str, *, user: str, at: float, reason: str | None = None) -> Wave:
        return self._write(name, lambda w: waves.reject(w, user=user, at=at, reason=reason))

    def pause(self, name: str, reason: PauseReason) -> Wave:
        return self._write(name, lambda w: waves.pause(w, reason))

    def resume(self, name: str) -> Wave:
        return self._write(name, waves.resume)

    def cancel(self, name: str, *, user: str) -> Wave:
        """Stop the starts; clusters already running keep their place in the running set until they end."""
        return self._write(name, lambda w: waves.cancel(w, user=user))

    def finish(self, name: str) -> Wave:
        return self._write(name, waves.finish)

    def set_message_ts(self, name: str, ts: str) -> Wave:
        return self._write(name, lambda w: replace(w, message_ts=ts))

    def claim_start(self, name: str, cluster_id: str, *, record_id: str | None = None) -> ClaimOutcome:
        """Mark `cluster_id` running if the wave may start it now (see the module docstring)."""
        while True:
            current = self.get(name)
            try:
                wanted = waves.start_cluster(current, cluster_id, at=self.clock(), record_id=record_id)
            except StartRefused as refused:
                return NotClaimed(refused.why, current)
            saved = replace(wanted, version=current.version + 1, updated_at=self.clock())
            answer = _text(self._claim(
                keys=[wave_key(name), running_key(name), FREEZE_KEY],
                args=[current.version, saved.version, saved.to_json(), cluster_id, saved.max_parallel],
            ))
            if answer == "ok":
                return Claimed(saved)
            if answer == "gone":
                raise WaveNotFound(name)
            if answer != "stale":
                return NotClaimed(ClaimRefusal(answer), current)

    def record_end(
        self, name: str, cluster_id: str, outcome: ClusterState, *,
        blocker: Blocker | None = None, error: str | None = None,
    ) -> Wave:
        """A cluster ended (succeeded, failed, or skipped by its fresh precheck): its slot is freed."""
        def change(current: Wave) -> Wave:
            return waves.end_cluster(current, cluster_id, outcome, at=self.clock(), blocker=blocker, error=error)

        return self._write(name, change, leaving=cluster_id)

    def expire_due(self, now: float | None = None) -> list[Wave]:
        """Expire every wave request past its deadline; each is returned by exactly one caller."""
        moment = self.clock() if now is None else now
        expired = []
        for raw in self.redis.zrangebyscore(AWAITING_KEY, "-inf", moment):
            try:
                expired.append(self._write(_text(raw), lambda w: waves.expire(w, now=moment)))
            except (WaveRefused, WaveNotFound):
                continue  # decided, or expired by another worker, since we listed it
        return expired

    # -- many waves ---------------------------------------------------------------------------------

    def all(self) -> list[Wave]:
        """Every wave, newest first."""
        names = [_text(raw) for raw in self.redis.zrevrange(WAVES_KEY, 0, -1)]
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.hmget(wave_key(name), ["data", "version"])
        return [replace(Wave.from_json(data), version=int(version))
                for data, version in pipe.execute() if data is not None and version is not None]

    def active(self) -> list[Wave]:
        """Waves not yet ended, newest first (a cancelled wave with clusters still running is ended:
        its clusters are followed through their own migration records)."""
        return [wave for wave in self.all() if not wave.terminal]

    def running_clusters(self, name: str) -> set[str]:
        return {_text(raw) for raw in self.redis.smembers(running_key(name))}

    # -- the compare-and-set loop -------------------------------------------------------------------

    def _write(self, name: str, change: Callable[[Wave], Wave], *, leaving: str = "") -> Wave:
        """Read, change, compare-and-set on the version; on a lost race read again and re-decide."""
        while True:
            current = self.get(name)
            saved = replace(change(current), version=current.version + 1, updated_at=self.clock())
            answer = int(self._save(
                keys=[wave_key(name), AWAITING_KEY, running_key(name)],
                args=[name, current.version, saved.version, saved.to_json(), _awaiting_score(saved), leaving],
            ))
            if answer == -2:
                raise WaveNotFound(name)
            if answer == 1:
                return saved


def _awaiting_score(wave: Wave) -> str:
    if wave.state is WaveState.AWAITING_APPROVAL and wave.expires_at is not None:
        return repr(wave.expires_at)
    return ""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
