"""Maintenance windows: when a wave may start a migration, as operators write them.

A window is `DAYS HH:MM-HH:MM ZONE`, e.g. `Sat 02:00-06:00 Asia/Shanghai` or `Mon-Fri 22:00-02:00 UTC`:

- DAYS are the days the window *opens* on: a day (`Mon`…`Sun`, or spelled out), a range that may wrap
  (`Mon-Fri`, `Fri-Mon`), several of either joined by commas (`Mon,Wed,Fri-Sat`), or `daily`. Omitted,
  the window opens every day.
- An end at or before the start runs past midnight into the next day (`22:00-02:00` is four hours);
  `24:00` is the end of the day. A window that starts and ends at the same time is refused (empty or a
  whole day? nobody can tell which was meant).
- ZONE is an IANA zone (`Asia/Shanghai`, `Europe/Berlin`, `UTC`), required: the cluster owners' clock,
  not the bot's. Wall-clock times follow the zone's DST, so a window can last an hour less or more on
  the night the clocks change; a time that does not exist that night (02:30 when clocks jump from 02:00
  to 03:00) is read as the moment the clocks reach it (03:30), and a time that happens twice as the
  first of the two.

Several windows make one `Schedule`; overlapping or touching windows count as one opening, so the time
left is the time until the schedule really closes. A schedule without windows is always open. Pure:
`now` is always passed in (an aware datetime), nothing here reads a clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EVERY_DAY = frozenset(range(7))
_TIMES_RE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_MINUTES_PER_DAY = 24 * 60
_HORIZON = timedelta(days=15)
"""How far ahead an opening is looked for: every weekly window opens at least twice in it."""


class WindowError(ValueError):
    """A window spec that cannot be read; str() names the part that is wrong and shows a good one."""


@dataclass(frozen=True)
class Window:
    """One weekly window: the days it opens on, its local start and end (minutes after midnight), its zone."""

    days: frozenset[int]  # 0 = Monday, as datetime.weekday()
    start_minute: int  # 0…1439
    end_minute: int  # 1…1440; at or before start_minute means it ends the next day
    zone: str

    @property
    def overnight(self) -> bool:
        return self.end_minute <= self.start_minute

    @property
    def length(self) -> timedelta:
        """On a night without a clock change."""
        minutes = self.end_minute - self.start_minute
        return timedelta(minutes=minutes + (_MINUTES_PER_DAY if minutes <= 0 else 0))

    @property
    def spec(self) -> str:
        """The canonical spelling; `parse_window(w.spec) == w`. Stored in wave records and shown to people."""
        times = f"{_clock(self.start_minute)}-{_clock(self.end_minute)}"
        return f"{_days_text(self.days)} {times} {self.zone}"

    def openings(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Every (open, close) in UTC of this window that overlaps [start, end)."""
        zone = ZoneInfo(self.zone)
        first = start.astimezone(zone).date() - timedelta(days=1)  # yesterday's may still be open
        last = end.astimezone(zone).date()
        found = []
        day = first
        while day <= last:
            if day.weekday() in self.days:
                opens = _at(day, self.start_minute, zone)
                closes = _at(day + timedelta(days=1) if self.overnight else day, self.end_minute, zone)
                if opens < end and closes > start:
                    found.append((opens, closes))
            day += timedelta(days=1)
        return found


@dataclass(frozen=True)
class Schedule:
    """The windows of a wave; with none, migrations may start at any time."""

    windows: tuple[Window, ...] = ()

    @property
    def always_open(self) -> bool:
        return not self.windows

    @property
    def specs(self) -> tuple[str, ...]:
        return tuple(window.spec for window in self.windows)

    def is_open(self, now: datetime) -> bool:
        return self._current(now) is not None

    def time_left(self, now: datetime) -> timedelta | None:
        """Until the schedule closes: zero when closed, None when it never closes (no windows)."""
        if self.always_open:
            return None
        current = self._current(now)
        return timedelta(0) if current is None else current[1] - now

    def next_opening(self, now: datetime, *, long_enough: timedelta = timedelta(0)) -> datetime | None:
        """When the next opening after `now` begins that lasts at least `long_enough`.

        An opening under way now does not count (it has begun); None when there are no windows (nothing
        to wait for) or no opening in the next two weeks is long enough.
        """
        if self.always_open:
            return None
        for opens, closes in self._merged(now, now + _HORIZON):
            if opens > now and closes - opens >= long_enough:
                return opens
        return None

    def _current(self, now: datetime) -> tuple[datetime, datetime] | None:
        if self.always_open:
            return (now, datetime.max.replace(tzinfo=UTC))
        for opens, closes in self._merged(now, now + _HORIZON):
            if opens <= now < closes:
                return (opens, closes)
        return None

    def _merged(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Openings of every window overlapping [start, end), sorted, overlapping or touching ones joined."""
        _require_aware(start)
        spans = sorted(span for window in self.windows for span in window.openings(start, end))
        merged: list[tuple[datetime, datetime]] = []
        for opens, closes in spans:
            if merged and opens <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
            else:
                merged.append((opens, closes))
        return merged


def parse_window(text: str) -> Window:
    """`[DAYS] HH:MM-HH:MM ZONE` → Window, or WindowError naming the bad part."""
    words = text.split()
    if len(words) == 2:
        words = ["daily", *words]
    if len(words) != 3:
        raise WindowError(f"`{text}` is not a window: write days, times and a time zone, like "
                          "`Sat 02:00-06:00 Asia/Shanghai` or `Mon-Fri 22:00-02:00 UTC`")
    days_text, times_text, zone_text = words
    days = _parse_days(days_text)
    start, end = _parse_times(times_text)
    return Window(days=days, start_minute=start, end_minute=end, zone=_parse_zone(zone_text))


def parse_schedule(specs: Iterable[str]) -> Schedule:
    return Schedule(tuple(parse_window(spec) for spec in specs))


def _parse_days(text: str) -> frozenset[int]:
    if text.lower() in ("daily", "everyday", "*"):
        return _EVERY_DAY
    days: set[int] = set()
    for part in text.split(","):
        first, dash, last = part.partition("-")
        if dash:
            start, end = _day(first, text), _day(last, text)
            days.update((start + offset) % 7 for offset in range((end - start) % 7 + 1))
        else:
            days.add(_day(first, text))
    return frozenset(days)


def _day(word: str, whole: str) -> int:
    lowered = word.strip().lower()
    for number, name in enumerate(_FULL_DAY_NAMES):
        if len(lowered) >= 3 and name.startswith(lowered):
            return number
    raise WindowError(f"`{word}` in `{whole}` is not a day: use Mon, Tue, Wed, Thu, Fri, Sat, Sun, a range "
                      "like Mon-Fri, several joined by commas, or daily")


def _parse_times(text: str) -> tuple[int, int]:
    match = _TIMES_RE.match(text)
    if match is None:
        raise WindowError(f"`{text}` is not a time range: write HH:MM-HH:MM on a 24-hour clock, like 22:00-02:00")
    start_h, start_m, end_h, end_m = (int(group) for group in match.groups())
    start, end = _minute(start_h, start_m, text, allow_end=False), _minute(end_h, end_m, text, allow_end=True)
    if start == end:
        raise WindowError(f"`{text}` starts and ends at the same time: say how long the window is open "
                          "(`00:00-24:00` for a whole day)")
    return start, end


def _minute(hour: int, minute: int, whole: str, *, allow_end: bool) -> int:
    if allow_end and (hour, minute) == (24, 0):
        return _MINUTES_PER_DAY
    if hour > 23 or minute > 59:
        raise WindowError(f"`{hour:02d}:{minute:02d}` in `{whole}` is not a time of day (00:00 to 23:59"
                          f"{', or 24:00 as an end' if allow_end else ''})")
    return hour * 60 + minute


def _parse_zone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        if not available_timezones():  # only on the error path: it lists the zone files
            raise WindowError(f"no time zone data on this machine to read `{text}`: install the system's "
                              "tzdata package or the Python tzdata package") from None
        raise WindowError(f"`{text}` is not a time zone: use an IANA name like Asia/Shanghai, Europe/Berlin "
                          "or UTC") from None
    return text


def _at(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC moment a local wall-clock minute of `day` happens (see the module docstring for DST)."""
    extra_days, minute_of_day = divmod(minute, _MINUTES_PER_DAY)
    local = datetime.combine(day + timedelta(days=extra_days), time(minute_of_day // 60, minute_of_day % 60),
                             tzinfo=zone)
    return local.astimezone(UTC)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment} has no time zone; windows compare aware datetimes only")


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _days_text(days: frozenset[int]) -> str:
    """Runs of consecutive days as ranges (`Mon-Fri,Sun`); every day is `daily`."""
    if days == _EVERY_DAY:
        return "daily"
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][-1] == 6:  # a run through Sunday into Monday
        runs[0] = runs.pop() + runs[0]
    return ",".join(DAY_NAMES[run[0]] if len(run) == 1 else f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}"
                    for run in runs)
