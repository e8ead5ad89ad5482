"""The one clock: a moment as Slack's date token (each reader's own zone), UTC where it cannot render."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workers.ui import clock

AT_14_02 = datetime(2026, 11, 20, 14, 2, 59, tzinfo=UTC).timestamp()


def test_a_moment_is_a_date_token_whose_fallback_says_utc() -> None:
    assert clock.at(AT_14_02) == f"<!date^{int(AT_14_02)}^{{time}}|14:02 UTC>"


def test_a_moment_not_recorded_is_said_so_not_shown_as_the_epoch() -> None:
    assert clock.at(None) == "an unknown time"


def test_a_day_is_a_date_token_with_the_utc_date_as_fallback() -> None:
    just_before_midnight = datetime(2026, 11, 20, 23, 59, tzinfo=UTC).timestamp()
    assert clock.day(just_before_midnight) == f"<!date^{int(just_before_midnight)}^{{date_num}}|2026-11-20>"


@pytest.mark.parametrize(("seconds", "shown"), [
    (-5, "under a minute"), (59, "under a minute"), (60, "1 min"), (14 * 60 + 30, "14 min"),
    (89 * 60, "89 min"), (90 * 60, "1 h 30 min"), (125 * 60, "2 h 5 min"),
])
def test_durations_are_minutes_then_hours(seconds: float, shown: str) -> None:
    assert clock.duration(seconds) == shown


def test_took_needs_both_ends() -> None:
    assert clock.took(AT_14_02, AT_14_02 + 14 * 60) == " — 14 min"
    assert clock.took(None, AT_14_02) == ""
    assert clock.took(AT_14_02, None) == ""
