"""`ackmigrate health worker|socket` (cli.health): a liveness answer for processes that serve no HTTP.

An orchestrator's exec probe runs this in the same pod (same hostname) as the process it asks about:

- a worker is alive when RQ's own heartbeat for a worker on this host is fresh. RQ writes it at every
  pass of the worker's loop (at least every `WORKER_TTL_S - 15` seconds when idle, and around every
  job), so a worker stuck in a job or a loop stops renewing it and the pod is restarted;
- the Socket Mode bot is alive when it has said, within `SOCKET_HEARTBEAT_TTL_S`, that its WebSocket to
  Slack is connected (bot.socket_mode writes `ackmigrate:alive:socket:{hostname}`).

Both live in Redis, so "alive" also means "can reach Redis": a process that cannot is of no use either.
"""

from __future__ import annotations

from datetime import UTC, datetime

from redis import Redis
from rq import Worker

WORKER_TTL_S = 60
"""RQ's worker_ttl for our workers: an idle worker renews its heartbeat every 45 s (RQ: ttl - 15)."""

WORKER_STALE_AFTER_S = 2 * WORKER_TTL_S
"""A heartbeat older than this means the worker's loop has stopped turning."""

SOCKET_HEARTBEAT_INTERVAL_S = 15
SOCKET_HEARTBEAT_TTL_S = 60

ROLES = ("worker", "socket")


def socket_heartbeat_key(hostname: str) -> str:
    return f"ackmigrate:alive:socket:{hostname}"


def worker_heartbeat_age(redis: Redis, *, hostname: str, now: datetime) -> float | None:
    """Seconds since the freshest RQ heartbeat of a worker on `hostname`; None when there is none."""
    ages = [
        (now - worker.last_heartbeat.replace(tzinfo=UTC)).total_seconds()
        for worker in Worker.all(connection=redis)
        if worker.hostname == hostname and worker.last_heartbeat is not None
    ]
    return min(ages) if ages else None
