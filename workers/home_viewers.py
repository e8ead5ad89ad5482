"""Who opened the App Home tab lately: the people a change is published to.

Its own small module so the bot's `app_home_opened` listener can note a viewer (one Redis write, inside
Slack's 3 seconds) without importing the workers' publishing side.

Key: `ackmigrate:home:viewers` — sorted set: user id → when they last opened the tab (epoch s); at most
MAX_VIEWERS, and those not seen for VIEWER_TTL_S dropped, so a change never fans out to everyone who
ever looked.
"""

from __future__ import annotations

from redis import Redis

VIEWERS_KEY = "ackmigrate:home:viewers"
MAX_VIEWERS = 500
VIEWER_TTL_S = 30 * 86_400


def remember_viewer(redis: Redis, user: str, *, now: float) -> None:
    """`user` opened the tab: keep them among those a change is published to (a bounded set)."""
    with redis.pipeline(transaction=True) as pipe:
        pipe.zadd(VIEWERS_KEY, {user: now})
        pipe.zremrangebyscore(VIEWERS_KEY, "-inf", now - VIEWER_TTL_S)
        pipe.zremrangebyrank(VIEWERS_KEY, 0, -(MAX_VIEWERS + 1))  # the longest unseen go first
        pipe.execute()


def viewers(redis: Redis) -> list[str]:
    """Everyone who opened the tab lately, most recent first."""
    return [raw.decode() if isinstance(raw, bytes) else str(raw) for raw in redis.zrevrange(VIEWERS_KEY, 0, -1)]
