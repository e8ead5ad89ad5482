"""Per-record leases: who is responsible for an approved request right now, and until when.

A lease is one Redis key, `ackmigrate:lease:{record_id}`, holding the RQ job id that owns the record
and expiring on its own. A running job renews it from a heartbeat thread; a job that schedules the
next poll hands the lease to that job for the delay plus a grace period. So the key exists exactly as
long as someone is (or is about to be) working on the record; when a worker is SIGKILLed, or a
scheduled poll is lost, the key lapses and the reconciler starts a new job — which takes the lease, so
a late duplicate finds it held by another id and steps aside.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from redis import Redis

PREFIX = "ackmigrate:lease:"

# KEYS: lease. ARGV: owner, ttl ms. Take the lease when free or already ours; answer the holder.
_ACQUIRE = """
local holder = redis.call('GET', KEYS[1])
if (not holder) or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
return holder
"""

# KEYS: lease. ARGV: owner, new owner, ttl ms. Change hands only if we still hold it.
_HAND_OVER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
"""

# KEYS: lease. ARGV: owner. Let go only of our own lease.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def lease_key(record_id: str) -> str:
    return f"{PREFIX}{record_id}"


class LeaseHeld(Exception):
    """Another job owns the record; this one is a duplicate and must leave it alone."""

    def __init__(self, record_id: str, holder: str) -> None:
        self.record_id = record_id
        self.holder = holder
        super().__init__(f"request {record_id} is being handled by job {holder}")


class Leases:
    """Acquire, renew, hand over and release record leases in one Redis."""

    def __init__(self, redis: Redis, *, ttl_s: float) -> None:
        self.redis = redis
        self.ttl_ms = max(1, int(ttl_s * 1000))
        self._acquire = redis.register_script(_ACQUIRE)
        self._hand_over = redis.register_script(_HAND_OVER)
        self._release = redis.register_script(_RELEASE)

    def holder(self, record_id: str) -> str | None:
        value = self.redis.get(lease_key(record_id))
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    def acquire(self, record_id: str, owner: str, *, ttl_ms: int | None = None) -> None:
        """Take (or renew) the lease for `owner`; raise LeaseHeld naming the other owner otherwise."""
        answer = self._acquire(keys=[lease_key(record_id)], args=[owner, ttl_ms or self.ttl_ms])
        holder = answer.decode() if isinstance(answer, bytes) else str(answer)
        if holder != owner:
            raise LeaseHeld(record_id, holder)

    def claim(self, record_id: str, owner: str, *, ttl_ms: int) -> bool:
        """Take a free lease only (the reconciler: never steal from a live owner)."""
        return bool(self.redis.set(lease_key(record_id), owner, px=ttl_ms, nx=True))

    def hand_over(self, record_id: str, owner: str, successor: str, *, ttl_ms: int) -> bool:
        """Pass the lease to the job that continues the work (e.g. the next scheduled poll)."""
        return bool(self._hand_over(keys=[lease_key(record_id)], args=[owner, successor, ttl_ms]))

    def release(self, record_id: str, owner: str) -> None:
        self._release(keys=[lease_key(record_id)], args=[owner])

    @contextmanager
    def held(self, record_id: str, owner: str) -> Iterator[None]:
        """Hold the lease for the block, renewed every third of its TTL so a slow cloud call keeps it.

        The lease is not released on exit: the block either handed it to a successor or the work is
        done (then the caller releases it), and a crash must leave it to lapse, not vanish.
        """
        self.acquire(record_id, owner)
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(self.ttl_ms / 3000):
                if self.holder(record_id) != owner:
                    return  # handed over or lost: never take it back
                self.redis.pexpire(lease_key(record_id), self.ttl_ms)

        thread = threading.Thread(target=renew, name=f"lease-{record_id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
