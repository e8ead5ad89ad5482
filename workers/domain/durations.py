"""Durations as people type them in Slack: `30s`, `10m`, `2h`, `1d`, and sums of them (`1h30m`).

One spelling everywhere (`--soak`, `freeze --until`, the settings), so what an operator learns once holds
for every command. Pure: text in, `timedelta` out, or a `DurationError` that says what was wrong.
"""

from __future__ import annotations

import re
from datetime import timedelta

UNITS: dict[str, int] = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
"""Seconds per unit, largest last; the README's spelling of durations."""

MAX_DURATION = timedelta(days=366)
"""Nothing ackmigrate waits for is longer than a year; a larger number is a typo, not an intent."""

_PART_RE = re.compile(r"(\d+)([smhd])")
_WHOLE_RE = re.compile(r"^(?:\d+[smhd])+$")


class DurationError(ValueError):
    """The text is not a duration; str() is the sentence to show the person who typed it."""


def parse_duration(text: str) -> timedelta:
    """`30s`, `10m`, `2h`, `1d` or a sum like `1h30m` (each unit once, largest first)."""
    spelled = text.strip().lower()
    if not spelled:
        raise DurationError("a duration is needed, like 30s, 10m, 2h or 1d")
    if not _WHOLE_RE.match(spelled):
        raise DurationError(f"`{text}` is not a duration: write a number and a unit (s, m, h or d), like 30s, "
                            "10m, 2h, 1d or 1h30m")
    parts = _PART_RE.findall(spelled)
    units = [unit for _, unit in parts]
    ranks = [list(UNITS).index(unit) for unit in units]
    if len(set(units)) != len(units) or ranks != sorted(ranks, reverse=True):
        raise DurationError(f"`{text}` repeats or reorders its units: write the largest first, each once "
                            "(1h30m, not 30m1h)")
    total = timedelta(seconds=sum(int(number) * UNITS[unit] for number, unit in parts))
    if total > MAX_DURATION:
        raise DurationError(f"`{text}` is longer than a year; ackmigrate waits at most {MAX_DURATION.days} days")
    return total


def format_duration(span: timedelta) -> str:
    """The inverse of `parse_duration` for whole seconds: `1h30m`, `0s`; `parse_duration(format(d)) == d`."""
    seconds = int(span.total_seconds())
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative ({span})")
    if seconds == 0:
        return "0s"
    words = []
    for unit, size in sorted(UNITS.items(), key=lambda item: -item[1]):
        count, seconds = divmod(seconds, size)
        if count:
            words.append(f"{count}{unit}")
    return "".join(words)
