"""How late each poll of a running migration starts, kept in Redis for operators and the benchmark.

A poll is scheduled for a moment (workers.queues.Queues.schedule puts it in the job's meta as `scheduled_for`);
its lag is how much later it actually starts — the interval itself is not lag. When one worker follows
more migrations than it can poll, lag is the first figure to grow, long before anything fails, so it
is the number to watch when deciding to add workers.

`ackmigrate:metrics:poll_lag` is a list of the newest POLL_LAG_KEPT lags in seconds, newest first
(LPUSH + LTRIM in one pipelined round trip per poll; capped, so it never grows).
"""

from __future__ import annotations

import time
from typing import Any

from redis import Redis

POLL_LAG_KEY = "ackmigrate:metrics:poll_lag"
POLL_LAG_KEPT = 10_000
SCHEDULED_FOR = "scheduled_for"
"""The job meta key (Unix seconds) workers.queues.Queues.schedule sets on every job it schedules."""


def note_poll_start(redis: Redis, meta: dict[str, Any], *, now: float | None = None) -> float | None:
    """Record how late this poll started; None (nothing recorded) for a job that was not scheduled."""
    scheduled_for = meta.get(SCHEDULED_FOR)
    if scheduled_for is None:
        return None
    lag = (time.time() if now is None else now) - float(scheduled_for)
    pipe = redis.pipeline(transaction=False)
    pipe.lpush(POLL_LAG_KEY, f"{lag:.4f}")
    pipe.ltrim(POLL_LAG_KEY, 0, POLL_LAG_KEPT - 1)
    pipe.execute()
    return lag


def recent_poll_lags(redis: Redis, count: int = POLL_LAG_KEPT) -> list[float]:
    """The newest `count` lags, newest first (negative: started early, see workers.queues.Queues.schedule)."""
    return [float(raw) for raw in redis.lrange(POLL_LAG_KEY, 0, count - 1)]
