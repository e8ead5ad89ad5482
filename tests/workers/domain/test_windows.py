"""Maintenance windows: parsing with errors naming the bad part, day ranges, overnight spans, several
windows joined, and the nights the clocks change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from workers.domain.windows import Schedule, WindowError, parse_schedule, parse_window


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# 2026-12-04 is a Friday, 2026-12-05 a Saturday.
FRIDAY, SATURDAY = utc(2026, 12, 4), utc(2026, 12, 5)


def test_the_calendar_the_tests_assume() -> None:
    assert (FRIDAY.weekday(), SATURDAY.weekday()) == (4, 5)
    assert utc(2026, 3, 29).weekday() == 6 and utc(2026, 10, 25).weekday() == 6


# --- parsing -------------------------------------------------------------------------------------------------

def test_a_weekly_window_in_a_zone() -> None:
    window = parse_window("Sat 02:00-06:00 Asia/Shanghai")
    assert window.days == frozenset({5})
    assert (window.start_minute, window.end_minute) == (120, 360)
    assert window.zone == "Asia/Shanghai"
    assert window.length == timedelta(hours=4)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ("Mon-Fri", {0, 1, 2, 3, 4}),
        ("Fri-Mon", {4, 5, 6, 0}),
        ("mon,Wed,FRI", {0, 2, 4}),
        ("Mon-Tue,Sat", {0, 1, 5}),
        ("Saturday", {5}),
        ("daily", set(range(7))),
    ],
)
def test_days_ranges_lists_and_wrapping(days: str, expected: set[int]) -> None:
    assert parse_window(f"{days} 01:00-02:00 UTC").days == frozenset(expected)


def test_days_may_be_left_out_for_every_day() -> None:
    assert parse_window("01:00-02:00 UTC").days == frozenset(range(7))


@pytest.mark.parametrize(
    "spec",
    ["Sat 02:00-06:00 Asia/Shanghai", "Mon-Fri 22:00-02:00 UTC", "Fri-Mon 00:00-24:00 Europe/Berlin",
     "Mon,Wed,Fri 09:30-10:00 UTC", "daily 23:00-01:00 America/New_York"],
)
def test_a_window_reads_back_from_its_canonical_spelling(spec: str) -> None:
    window = parse_window(spec)
    assert window.spec == spec
    assert parse_window(window.spec) == window


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("Sat", "write days, times and a time zone"),
        ("Sta 02:00-06:00 UTC", "`Sta` in `Sta` is not a day"),
        ("Mon-Fir 02:00-06:00 UTC", "`Fir` in `Mon-Fir` is not a day"),
        ("Sat 2-6 UTC", "`2-6` is not a time range"),
        ("Sat 25:00-06:00 UTC", "`25:00` in `25:00-06:00` is not a time of day"),
        ("Sat 02:00-06:61 UTC", "`06:61` in `02:00-06:61` is not a time of day"),
        ("Sat 24:00-06:00 UTC", "`24:00` in `24:00-06:00` is not a time of day"),
        ("Sat 02:00-02:00 UTC", "starts and ends at the same time"),
        ("Sat 02:00-06:00 Mars/Olympus", "`Mars/Olympus` is not a time zone"),
        ("Sat 02:00-06:00 ../etc/passwd", "is not a time zone"),
        ("Sat 02:00-06:00 UTC extra", "write days, times and a time zone"),
    ],
)
def test_a_bad_window_is_refused_naming_the_bad_part(spec: str, says: str) -> None:
    with pytest.raises(WindowError, match=_literal(says)):
        parse_window(spec)


# --- open, time left, next opening ---------------------------------------------------------------------------

def test_a_window_is_open_in_its_own_zone() -> None:
    schedule = parse_schedule(["Sat 02:00-06:00 Asia/Shanghai"])  # Fri 18:00-22:00 UTC
    assert not schedule.is_open(FRIDAY.replace(hour=17, minute=59))
    assert schedule.is_open(FRIDAY.replace(hour=18))
    assert schedule.time_left(FRIDAY.replace(hour=18)) == timedelta(hours=4)
    assert not schedule.is_open(FRIDAY.replace(hour=22))  # the end is not inside
    assert schedule.time_left(FRIDAY.replace(hour=22)) == timedelta(0)
    assert schedule.next_opening(FRIDAY.replace(hour=22)) == FRIDAY.replace(hour=18) + timedelta(days=7)


def test_an_overnight_window_runs_into_the_next_day_from_its_opening_days_only() -> None:
    schedule = parse_schedule(["Mon-Fri 22:00-02:00 UTC"])
    assert schedule.is_open(FRIDAY.replace(hour=23))
    assert schedule.time_left(FRIDAY.replace(hour=23, minute=30)) == timedelta(hours=2, minutes=30)
    assert schedule.is_open(SATURDAY.replace(hour=1))  # Friday's window, after midnight
    assert not schedule.is_open(SATURDAY.replace(hour=23))
    monday = SATURDAY + timedelta(days=2)
    assert not schedule.is_open(monday.replace(hour=1))  # Sunday's window does not exist
    assert schedule.is_open(monday.replace(hour=1) + timedelta(days=1))  # Monday's does
    assert schedule.next_opening(SATURDAY.replace(hour=3)) == monday.replace(hour=22)


def test_touching_windows_are_one_opening() -> None:
    schedule = parse_schedule(["Mon-Fri 22:00-02:00 UTC", "Sat 02:00-06:00 UTC"])
    assert schedule.time_left(FRIDAY.replace(hour=23)) == timedelta(hours=7)


def test_overlapping_windows_in_different_zones_are_one_opening() -> None:
    schedule = parse_schedule(["Sat 02:00-06:00 Asia/Shanghai", "Fri 20:00-23:30 UTC"])  # 18:00-22:00 UTC
    assert schedule.time_left(FRIDAY.replace(hour=19)) == timedelta(hours=4, minutes=30)


def test_the_next_opening_skips_openings_too_short_for_a_migration() -> None:
    schedule = parse_schedule(["Sat 02:00-02:20 UTC", "Sun 02:00-06:00 UTC"])
    assert schedule.next_opening(SATURDAY) == SATURDAY.replace(hour=2)
    assert schedule.next_opening(SATURDAY, long_enough=timedelta(minutes=30)) == utc(2026, 12, 6, 2)
    assert schedule.next_opening(SATURDAY, long_enough=timedelta(hours=5)) is None


def test_the_opening_under_way_is_not_the_next_one() -> None:
    schedule = parse_schedule(["daily 02:00-06:00 UTC"])
    assert schedule.next_opening(SATURDAY.replace(hour=3)) == utc(2026, 12, 6, 2)


def test_no_window_is_always_open() -> None:
    schedule = Schedule()
    assert schedule.always_open
    assert schedule.is_open(FRIDAY)
    assert schedule.time_left(FRIDAY) is None
    assert schedule.next_opening(FRIDAY) is None


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        parse_schedule(["daily 02:00-06:00 UTC"]).is_open(datetime(2026, 12, 5, 3))


# --- the nights the clocks change (Europe/Berlin: 2026-03-29 02:00→03:00, 2026-10-25 03:00→02:00) --------

BERLIN = ZoneInfo("Europe/Berlin")


def test_a_window_across_the_spring_change_is_an_hour_shorter() -> None:
    schedule = parse_schedule(["Sun 01:00-05:00 Europe/Berlin"])
    opens = utc(2026, 3, 29, 0)  # 01:00 CET
    assert opens.astimezone(BERLIN).hour == 1
    assert schedule.is_open(opens)
    assert schedule.time_left(opens) == timedelta(hours=3)  # closes 05:00 CEST = 03:00 UTC
    assert not schedule.is_open(utc(2026, 3, 29, 3))
    assert schedule.next_opening(opens) == utc(2026, 4, 4, 23)  # a week later, on summer time


def test_a_window_across_the_autumn_change_is_an_hour_longer() -> None:
    schedule = parse_schedule(["Sun 01:00-05:00 Europe/Berlin"])
    opens = utc(2026, 10, 24, 23)  # 01:00 CEST
    assert schedule.next_opening(opens - timedelta(minutes=1)) == opens
    assert schedule.time_left(opens) == timedelta(hours=5)  # closes 05:00 CET = 04:00 UTC


def test_a_start_the_spring_change_skips_is_read_as_the_moment_the_clocks_reach_it() -> None:
    schedule = parse_schedule(["Sun 02:30-04:00 Europe/Berlin"])
    assert not schedule.is_open(utc(2026, 3, 29, 1, 29))
    assert schedule.is_open(utc(2026, 3, 29, 1, 30))  # 03:30 CEST
    assert schedule.time_left(utc(2026, 3, 29, 1, 30)) == timedelta(minutes=30)


def test_a_window_opening_in_the_repeated_hour_opens_at_its_first_occurrence() -> None:
    schedule = parse_schedule(["Sun 02:30-04:00 Europe/Berlin"])
    first = utc(2026, 10, 25, 0, 30)  # 02:30 CEST; 02:30 CET is an hour later
    assert schedule.next_opening(first - timedelta(minutes=1)) == first
    assert schedule.time_left(first) == timedelta(hours=2, minutes=30)  # until 04:00 CET = 03:00 UTC


def _literal(text: str) -> str:
    import re

    return re.escape(text)


def test_a_machine_without_zone_data_is_told_so() -> None:
    """As in a container image without tzdata: no system zone files and no tzdata package."""
    import os
    import subprocess
    import sys

    script = (
        "import sys; sys.modules['tzdata'] = None\n"  # the Python package is absent
        "from workers.domain.windows import WindowError, parse_window\n"
        "try:\n    parse_window('Sat 02:00-06:00 Asia/Shanghai')\n"
        "except WindowError as error:\n    print(error)\n"
    )
    env = {**os.environ, "PYTHONTZPATH": "/nonexistent"}  # …and no system zone files
    shown = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert "no time zone data on this machine" in shown.stdout
