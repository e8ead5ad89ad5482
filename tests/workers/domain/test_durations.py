"""Durations as typed in Slack: the four units, sums of them, and errors that say what was wrong."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workers.domain.durations import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("10m", timedelta(minutes=10)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1h30m", timedelta(minutes=90)),
        (" 2H ", timedelta(hours=2)),
        ("0s", timedelta(0)),
    ],
)
def test_documented_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "a duration is needed"),
        ("30", "write a number and a unit"),
        ("10 minutes", "write a number and a unit"),
        ("1.5h", "write a number and a unit"),
        ("-5m", "write a number and a unit"),
        ("30m1h", "largest first"),
        ("1h1h", "largest first"),
        ("400d", "longer than a year"),
    ],
)
def test_malformed_durations_are_refused_with_the_reason(text: str, says: str) -> None:
    with pytest.raises(DurationError, match=says):
        parse_duration(text)


@given(st.integers(min_value=0, max_value=366 * 86_400))
def test_a_formatted_duration_reads_back_as_itself(seconds: int) -> None:
    span = timedelta(seconds=seconds)
    assert parse_duration(format_duration(span)) == span


def test_format_uses_the_largest_units() -> None:
    assert format_duration(timedelta(hours=26, seconds=5)) == "1d2h5s"
