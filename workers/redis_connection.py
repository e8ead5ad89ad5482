"""The one place a Redis client is built: from REDIS_URL, or through Sentinel for a Redis that fails over.

The bot, the workers (and RQ inside them) and the terminal commands all connect here, so a deployment
switches to Sentinel with two settings and no process is left talking to a master that was demoted.

Through Sentinel, the client asks the sentinels where the master is and asks again whenever its
connection breaks or the server answers that it is now a replica (redis-py's SentinelConnectionPool); a
command caught by the switch fails with ConnectionError once, as with a restart of a single Redis, and
the callers already treat that as "Redis is away for a moment".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from redis import Redis
from redis.client import Pipeline
from redis.connection import parse_url
from redis.sentinel import Sentinel

from workers.config import Settings

log = logging.getLogger(__name__)

SENTINEL_TIMEOUT_S = 2.0
"""How long to wait for one sentinel's answer before asking the next one."""

REPLICA_WAIT_MS = 1000
"""How long a write that precedes an irreversible step waits for a replica's acknowledgement."""


def replicas_to_wait_for(settings: Settings) -> int:
    """1 through Sentinel, else 0: how many replicas must hold a write before something irreversible.

    Replication is asynchronous, and a failover promotes a replica that may lack the newest writes. The
    writes that stand between us and an irreversible step outside Redis — the MigrateCluster fence, the
    "this reply is being posted" mark — are therefore sent with `WAIT 1` on the same connection (see
    `write_durably`), so a failover cannot forget them and repeat the step. A single Redis has no
    replica to wait for (and its durability is its AOF).
    """
    return 1 if settings.redis_sentinels else 0


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


class NotReplicated(Exception):
    """No replica acknowledged a write in time: a failover may be under way and the write may be lost,
    so the irreversible step it guards must not be taken now (callers try again a little later)."""

    def __init__(self, acknowledged: int, wanted: int) -> None:
        self.acknowledged = acknowledged
        self.wanted = wanted
        super().__init__(f"{acknowledged} of {wanted} replicas acknowledged the write within {REPLICA_WAIT_MS} ms")


def write_durably(redis: Redis, replicas: int, write: Callable[[Pipeline], object]) -> list[Any]:
    """Run `write` in one pipeline (one connection) and, with `replicas`, `WAIT replicas REPLICA_WAIT_MS`
    after it: WAIT counts the writes of its own connection, so it must share the pipeline's. Returns
    the write's answers (without WAIT's); raises NotReplicated when too few replicas acknowledged (a
    master that is being replaced, still taking writes it will lose)."""
    with redis.pipeline(transaction=False) as pipe:
        write(pipe)
        if replicas:
            pipe.wait(replicas, REPLICA_WAIT_MS)
        answers: list[Any] = pipe.execute()
    if replicas:
        acknowledged = int(answers.pop())
        if acknowledged < replicas:
            log.warning("only %d of %d replicas acknowledged a write within %d ms; not going ahead",
                        acknowledged, replicas, REPLICA_WAIT_MS)
            raise NotReplicated(acknowledged, replicas)
    return answers


def describe_redis(settings: Settings) -> str:
    """Where Redis is, for an error message: never the password."""
    if settings.redis_sentinels:
        where = ",".join(f"{host}:{port}" for host, port in settings.redis_sentinels)
        return f"master {settings.redis_sentinel_master} via sentinels {where}"
    return _without_password(settings.redis_url)


def _without_password(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", url)
