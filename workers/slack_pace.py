"""Keep each channel within Slack's pace: about one message per second per channel.

Slack's chat.postMessage allows "1 message per second per channel, with short bursts"
(https://docs.slack.dev/apis/web-api/rate-limits#rate-limits__limits-when-posting-messages); past that it
answers 429 and, sustained, may drop or refuse messages. A wave of 200 clusters with ten in parallel
produces bursts of thread replies (each cluster's own thread, and the wave's), from several workers at
once, so the pace has to be shared: it is kept in Redis, one key per channel, by every post the workers
make (workers.slack is their one door to Slack).

Turns, not a counter: each post takes the next free turn in its channel — `interval` after the last one
taken — in one Lua script that reads Redis's own clock (so workers on machines whose clocks disagree
still agree on the turns). A post whose turn is at most its `patience` away sleeps until then and is
sent; one whose turn is further away takes no turn and is refused with `Paced` (the delivery job
reschedules itself for then, as it does on a 429). Turns already given are never more than the longest
patience ahead, so a patient post is never starved. Only Slack posts wait here: migrations save their
replies in Redis and go on (workers.notify), so nothing that starts or follows a migration is held up.

Edits have their own limit: chat.update is Tier 3, about 50 a minute for the app across the workspace, so
`SlackClient.update` takes its turns from one lane for all channels (`UPDATE_LANE`, `UPDATES_PER_MINUTE`).

Keys (under `ackmigrate:`): `ackmigrate:pace:{channel}` and `ackmigrate:pace:*chat.update` — the moment
(ms, Redis clock) the next turn is free; each expires once that moment has passed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from redis import Redis

DEFAULT_POSTS_PER_MINUTE = 60.0
DEFAULT_PATIENCE_S = 1.1
"""How long a post may wait for its turn before it is handed back: one turn at the default pace (1.01 s). A worker
process runs one job at a time, so a delivery sleeping here would delay the runbook job behind it; past
one turn it is cheaper to hand the post back and let the delivery come back at its turn."""

MARGIN = 1.01
"""Turns are 1 % further apart than the pace asks: a post is sent a few milliseconds after its turn (the
script's answer, the sleep, the request), and at exactly 60 000 ms / 60 a late first post and an on-time
61st could both fall inside one minute as Slack counts it. Measured: four workers for 75 s, busiest minute
61 without the margin, 60 with it."""


def _interval_ms(per_minute: float) -> int:
    return math.ceil(60_000 / per_minute * MARGIN)


PACE_PREFIX = "ackmigrate:pace:"
UPDATE_LANE = "*chat.update"
"""The one lane every chat.update takes its turn from: Tier 3 counts the app's edits across the workspace
(https://docs.slack.dev/reference/methods/chat.update). `*` cannot begin a channel id, so no clash."""
UPDATES_PER_MINUTE = 50.0
UPDATE_PATIENCE_S = _interval_ms(UPDATES_PER_MINUTE) / 1000
"""An edit waits for the lane's next turn (about 1.2 s) rather than be handed back at once."""

# KEYS: the channel's key. ARGV: interval ms, patience ms.
# Returns the wait in ms (>= 0, the turn is taken) or -(wait ms) - 1 when the turn is beyond patience.
_TURN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(now, free)
local wait = start - now
if wait > tonumber(ARGV[2]) then return -wait - 1 end
local following = start + tonumber(ARGV[1])
redis.call('SET', KEYS[1], following, 'PX', following - now + 1000)
return wait
"""


class Paced(Exception):
    """The channel's next free turn is more than the post's patience away; `wait_s`: until it is."""

    def __init__(self, channel: str, wait_s: float) -> None:
        self.channel, self.wait_s = channel, wait_s
        super().__init__(f"channel {channel} is busy for {wait_s:.1f} s")


class ChannelPacer:
    """Turns to post, per channel, shared through Redis by every worker."""

    def __init__(
        self, redis: Redis, *, posts_per_minute: float = DEFAULT_POSTS_PER_MINUTE,
        patience_s: float = DEFAULT_PATIENCE_S, sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.redis = redis
        self.interval_ms = _interval_ms(posts_per_minute)
        self.patience_s = patience_s
        self._sleep = sleep
        self._turn = redis.register_script(_TURN)

    def take_turn(self, channel: str, *, patience_s: float | None = None, per_minute: float | None = None) -> float:
        """Wait for this post's turn in `channel` (returns how long it waited), or raise Paced. `per_minute`
        overrides the pace for a lane with its own limit (chat.update's)."""
        patience = self.patience_s if patience_s is None else patience_s
        interval_ms = self.interval_ms if per_minute is None else _interval_ms(per_minute)
        answer = int(self._turn(keys=[PACE_PREFIX + channel], args=[interval_ms, int(patience * 1000)]))
        if answer < 0:
            raise Paced(channel, (-answer - 1) / 1000)
        wait_s = answer / 1000
        if wait_s > 0:
            self._sleep(wait_s)
        return wait_s

