"""The one place a Redis client is built: from REDIS_URL, or through Sentinel for a Redis that fails over.

The bot, the workers (and RQ inside them) and the terminal commands all connect here, so a deployment
switches to Sentinel with two settings and no process is left talking to a master that was demoted.

Through Sentinel, the client asks the sentinels where the master is and asks again whenever its
connection breaks or the server answers that it is now a replica (redis-py's SentinelConnectionPool); a
command caught by the switch fails with ConnectionError once, as with a restart of a single Redis, and
the callers already treat that as "Redis is away for a moment".
"""

from __future__ import annotations

import re
from typing import Any

from redis import Redis
from redis.connection import parse_url
from redis.sentinel import Sentinel

from workers.config import Settings

SENTINEL_TIMEOUT_S = 2.0
"""How long to wait for one sentinel's answer before asking the next one."""


def connect_redis(settings: Settings, **options: Any) -> Redis:
    """A client for the master; `options` are redis-py's connection options (timeouts, health checks)."""
    if not settings.redis_sentinels:
        return Redis.from_url(settings.redis_url, **options)
    url = parse_url(settings.redis_url)
    for key in ("db", "username", "password"):
        if key in url:
            options.setdefault(key, url[key])
    sentinel = Sentinel(
        list(settings.redis_sentinels),
        socket_timeout=SENTINEL_TIMEOUT_S,
        socket_connect_timeout=SENTINEL_TIMEOUT_S,
    )
    return sentinel.master_for(str(settings.redis_sentinel_master), **options)


def describe_redis(settings: Settings) -> str:
    """Where Redis is, for an error message: never the password."""
    if settings.redis_sentinels:
        where = ",".join(f"{host}:{port}" for host, port in settings.redis_sentinels)
        return f"master {settings.redis_sentinel_master} via sentinels {where}"
    return _without_password(settings.redis_url)


def _without_password(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", url)
