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
sent.

Reserved turns. A post further from its turn than its patience names a `holder` (the post's own identity,
its message mark) and the script *reserves* that turn for it: the channel's next free moment moves on by
one interval as if the post had gone, and `ackmigrate:pace:res:{channel}:{holder}` remembers the turn.
`Paced` says when it is; the delivery job reschedules itself once, to arrive `ARRIVE_EARLY_S` before it,
and when the same holder asks again the script hands it its own turn (it sleeps the remainder). So a
delivery costs one job per post, however long the channel is booked. Before, a refused post took no turn
and its delivery came back a second later to try again: 200 waiting records made ~13 000 delivery jobs in
ten minutes and kept the workers' first queue from ever emptying (the wave benchmark's stall).

A reservation whose holder does not come (its job died with its worker) costs one empty turn and no more:
it is honoured only up to `LATE_GRACE_S` after its moment — a post later than that would crowd the turns
after it — and expires just after that; the holder then takes a fresh turn like any post. A post without a
holder is refused without taking a turn, as before.

Edits have their own limit: chat.update is Tier 3, about 50 a minute for the app across the workspace, so
`SlackClient.update` takes its turns from one lane for all channels (`UPDATE_LANE`, `UPDATES_PER_MINUTE`).

Keys (under `ackmigrate:`): `ackmigrate:pace:{channel}` and `ackmigrate:pace:*chat.update` — the moment
(ms, Redis clock) the next turn is free; each expires once that moment has passed. `ackmigrate:pace:res:{lane}:
{holder}` — a reserved turn's moment (ms), expiring `LATE_GRACE_S` after it.
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

LATE_GRACE_S = 0.4
"""How late a holder may come for its reserved turn. At any pace of N a minute the k-th and (k+N)-th turns
are N intervals = 60 × 1.01 = 60.6 s apart, so posts up to 0.6 s behind their turns still keep every 60-s
window at N; 0.4 s leaves room for the request itself. (A test pacing N a minute over a shorter window
scales this down with it.)"""

ARRIVE_EARLY_S = 0.5
"""A rescheduled delivery is queued this long before its reserved turn: RQ's scheduler moves due jobs once
a second, so a job asked for at the turn itself would usually be late for it. Early, it sleeps the
difference (less than its patience)."""

RESERVATION_PREFIX = PACE_PREFIX + "res:"

# KEYS: the lane's key, the holder's reservation key ('' when the post names no holder).
# ARGV: interval ms, patience ms, late grace ms.
# Returns {outcome, wait ms}: TAKEN (sleep `wait`, then post), RESERVED (the turn `wait` from now is the
# holder's), REFUSED (no holder: nothing taken; the next free turn is `wait` away).
_TURN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local patience, late = tonumber(ARGV[2]), tonumber(ARGV[3])
if KEYS[2] ~= '' then
  local reserved = redis.call('GET', KEYS[2])
  if reserved then
    local wait = tonumber(reserved) - now
    if wait > patience then return {1, wait} end
    redis.call('DEL', KEYS[2])
    if wait >= -late then return {0, math.max(wait, 0)} end
  end
end
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(now, free)
local wait = start - now
if wait > patience and KEYS[2] == '' then return {2, wait} end
local following = start + tonumber(ARGV[1])
redis.call('SET', KEYS[1], following, 'PX', following - now + 1000)
if wait <= patience then return {0, wait} end
redis.call('SET', KEYS[2], start, 'PX', wait + late + 1)
return {1, wait}
"""
_TAKEN, _RESERVED, _REFUSED = 0, 1, 2


class Paced(Exception):
    """The channel's next free turn is more than the post's patience away; `wait_s`: until it is.
    `reserved`: that turn is kept for the post's holder (come back then); otherwise nothing was taken."""

    def __init__(self, channel: str, wait_s: float, *, reserved: bool = False) -> None:
        self.channel, self.wait_s, self.reserved = channel, wait_s, reserved
        super().__init__(f"channel {channel} is busy for {wait_s:.1f} s" + (" (turn reserved)" if reserved else ""))

    @property
    def come_back_in_s(self) -> float:
        """When the post's delivery should run again: just before a reserved turn, or at the free one."""
        return max(0.0, self.wait_s - ARRIVE_EARLY_S) if self.reserved else self.wait_s


class ChannelPacer:
    """Turns to post, per channel, shared through Redis by every worker."""

    def __init__(
        self, redis: Redis, *, posts_per_minute: float = DEFAULT_POSTS_PER_MINUTE,
        patience_s: float = DEFAULT_PATIENCE_S, late_grace_s: float = LATE_GRACE_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.redis = redis
        self.interval_ms = _interval_ms(posts_per_minute)
        self.patience_s = patience_s
        self.late_grace_ms = int(late_grace_s * 1000)
        self._sleep = sleep
        self._turn = redis.register_script(_TURN)

    def take_turn(
        self, channel: str, *, patience_s: float | None = None, per_minute: float | None = None,
        holder: str | None = None,
    ) -> float:
        """Wait for this post's turn in `channel` (returns how long it waited), or raise Paced. `per_minute`
        overrides the pace for a lane with its own limit (chat.update's). `holder`: the post's identity — a
        turn beyond patience is then reserved for it (Paced.reserved) and given to it when it asks again."""
        patience = self.patience_s if patience_s is None else patience_s
        interval_ms = self.interval_ms if per_minute is None else _interval_ms(per_minute)
        reservation = f"{RESERVATION_PREFIX}{channel}:{holder}" if holder is not None else ""
        outcome, wait_ms = self._turn(keys=[PACE_PREFIX + channel, reservation],
                                      args=[interval_ms, int(patience * 1000), self.late_grace_ms])
        if int(outcome) != _TAKEN:
            raise Paced(channel, int(wait_ms) / 1000, reserved=int(outcome) == _RESERVED)
        wait_s = int(wait_ms) / 1000
        if wait_s > 0:
            self._sleep(wait_s)
        return wait_s

