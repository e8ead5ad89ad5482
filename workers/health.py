"""`ackmigrate health worker|socket`: a liveness answer for processes that serve no HTTP.

An orchestrator's exec probe runs this in the same pod (same hostname) as the process it asks about:

- a worker is alive when RQ's own heartbeat for a worker on this host is fresh. RQ writes it at every
  pass of the worker's loop (at least every `WORKER_TTL_S - 15` seconds when idle, and around every
  job), so a worker stuck in a job or a loop stops renewing it and the pod is restarted;
- the Socket Mode bot is alive when it has said, within `SOCKET_HEARTBEAT_TTL_S`, that its WebSocket to
  Slack is connected (bot.socket_mode writes `ackmigrate:alive:socket:{hostname}`).

Both live in Redis, so "alive" also means "can reach Redis": a process that cannot is of no use either.
"""

from __future__ import annotations

import socket
import sys
from datetime import UTC, datetime

from redis import Redis
from redis.exceptions import RedisError
from rq import Worker

from workers.config import Settings
from workers.redis_connection import connect_redis, describe_redis

WORKER_TTL_S = 60
"""RQ's worker_ttl for our workers: an idle worker renews its heartbeat every 45 s (RQ: ttl - 15)."""

WORKER_STALE_AFTER_S = 2 * WORKER_TTL_S
"""A heartbeat older than this means the worker's loop has stopped turning."""

SOCKET_HEARTBEAT_INTERVAL_S = 15
SOCKET_HEARTBEAT_TTL_S = 60

EXIT_ALIVE = 0
EXIT_DEAD = 1

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


def run_health(settings: Settings, role: str) -> int:
    """Exit 0 when this host's `role` process is alive, else 1 with the reason on one line."""
    hostname = socket.gethostname()
    try:
        redis = connect_redis(settings, socket_timeout=5, socket_connect_timeout=5)
        if role == "worker":
            age = worker_heartbeat_age(redis, hostname=hostname, now=datetime.now(UTC))
            if age is None:
                return _dead(f"no RQ worker on {hostname} has a heartbeat in Redis")
            if age > WORKER_STALE_AFTER_S:
                return _dead(f"the worker on {hostname} last beat {age:.0f} s ago (limit {WORKER_STALE_AFTER_S} s)")
            print(f"worker on {hostname}: heartbeat {age:.0f} s ago")
            return EXIT_ALIVE
        if not redis.exists(socket_heartbeat_key(hostname)):
            return _dead(f"the Socket Mode bot on {hostname} has not reported a connection "
                         f"within {SOCKET_HEARTBEAT_TTL_S} s")
        print(f"socket on {hostname}: connected")
        return EXIT_ALIVE
    except RedisError as error:
        return _dead(f"cannot reach Redis at {describe_redis(settings)}: {error}")


def _dead(reason: str) -> int:
    print(f"ackmigrate health: {reason}", file=sys.stderr)
    return EXIT_DEAD
