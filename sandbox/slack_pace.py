"""How fast the bot writes to each channel, and Slack's per-channel posting limit when switched on.

Slack lets an app post about one message per second per channel, tolerating short bursts, and answers
`429` with `Retry-After` beyond that (https://api.slack.com/apis/rate-limits#special-limits,
"Posting messages"); `chat.update` is a Tier 3 method (about 50 a minute,
https://api.slack.com/methods/chat.update). A fleet of waves must stay inside both, so the stand-in keeps
the time of every successful `chat.postMessage` and `chat.update` per channel and reports the busiest
minute. The limit itself is off unless a test or benchmark switches it on (`POST /_sandbox/slack/pace`),
so the existing tests, which post as fast as they like, are unchanged.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

PaceMethod = Literal["chat.postMessage", "chat.update"]
PACED_METHODS: tuple[PaceMethod, ...] = ("chat.postMessage", "chat.update")
WINDOW_S = 60.0
DEFAULT_PER_SECOND = 1.0
DEFAULT_BURST = 3
"""How many posts in a row Slack tolerates before the one-per-second pace applies (not documented as a
number: "short bursts"; 3 is the stand-in's choice and a setting of the control API)."""


@dataclass(frozen=True)
class Post:
    """One successful write to a channel: which method, and when (epoch seconds)."""

    channel: str
    method: PaceMethod
    time: float


@dataclass
class _Bucket:
    """A token bucket: `burst` posts at once, refilled at `per_second`."""

    tokens: float
    updated: float


@dataclass
class ChannelPace:
    """Every write per channel, and the posting limit (off by default)."""

    enforce: bool = False
    per_second: float = DEFAULT_PER_SECOND
    burst: int = DEFAULT_BURST
    posts: list[Post] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)  # channel → 429s answered
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def configure(self, *, enforce: bool, per_second: float, burst: int) -> None:
        if per_second <= 0 or burst < 1:
            raise ValueError("per_second must be > 0 and burst ≥ 1")
        self.enforce, self.per_second, self.burst = enforce, per_second, burst
        self._buckets.clear()

    def admit(self, channel: str, now: float | None = None) -> float | None:
        """None when a chat.postMessage to `channel` may go now (and takes its slot); else the seconds to wait."""
        if not self.enforce:
            return None
        now = time.time() if now is None else now
        bucket = self._buckets.setdefault(channel, _Bucket(tokens=float(self.burst), updated=now))
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.per_second)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        self.refused[channel] += 1
        return (1.0 - bucket.tokens) / self.per_second

    def record(self, channel: str, method: PaceMethod, now: float | None = None) -> None:
        self.posts.append(Post(channel=channel, method=method, time=time.time() if now is None else now))

    def figures(self, channel: str) -> dict[str, Any]:
        """What the control API reports for one channel: totals, the busiest 60 s, and minute by minute."""
        mine = [p for p in self.posts if p.channel == channel]
        first = mine[0].time if mine else None
        per_minute: dict[int, Counter[str]] = {}
        for post in mine:
            assert first is not None
            per_minute.setdefault(int((post.time - first) // WINDOW_S), Counter())[post.method] += 1
        return {
            "channel": channel,
            "enforce": self.enforce,
            "per_second": self.per_second,
            "burst": self.burst,
            "counts": {method: sum(1 for p in mine if p.method == method) for method in PACED_METHODS},
            "busiest_minute": {method: busiest_window(_times(mine, method)) for method in PACED_METHODS},
            "per_minute": [
                {"minute": minute, **{method: counts[method] for method in PACED_METHODS}}
                for minute, counts in sorted(per_minute.items())
            ],
            "rate_limited": self.refused[channel],
            "first": first,
            "last": mine[-1].time if mine else None,
        }


def _times(posts: list[Post], method: PaceMethod) -> list[float]:
    return [p.time for p in posts if p.method == method]


def busiest_window(times: list[float], window_s: float = WINDOW_S) -> int:
    """The most events inside any `window_s`-long stretch (a sliding window over sorted times)."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


def retry_after_header(wait_s: float) -> str:
    """Retry-After is whole seconds; never 0, or a client would retry at once and be refused again."""
    return str(max(1, math.ceil(wait_s)))
