"""`ackmigrate health worker|socket`: exit 0 when this host's worker or Socket Mode bot is alive.

What "alive" means (RQ's heartbeat, the Socket Mode bot's key) is workers.health's; this is the probe.
"""

from __future__ import annotations

import socket
import sys
from datetime import UTC, datetime

from redis.exceptions import RedisError

from workers.config import Settings
from workers.health import (
    SOCKET_HEARTBEAT_TTL_S,
    WORKER_STALE_AFTER_S,
    socket_heartbeat_key,
    worker_heartbeat_age,
)
from workers.redis_connection import connect_redis, describe_redis

EXIT_ALIVE = 0
EXIT_DEAD = 1


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
