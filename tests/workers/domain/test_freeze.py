"""Freezes: active until their end, and `--until` as a duration or a moment with its offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workers.domain.freeze import Freeze, FreezeFor, FreezeUntil, UntilError, parse_until

NOW = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)


def test_a_freeze_without_an_end_stays_active() -> None:
    freeze = Freeze(by="U1", reason="incident", at=NOW)
    assert freeze.active(NOW + timedelta(days=30))


def test_a_freeze_with_an_end_lifts_itself_then() -> None:
    freeze = Freeze(by="U1", reason="incident", at=NOW, until=NOW + timedelta(hours=2))
    assert freeze.active(NOW + timedelta(hours=1, minutes=59))
    assert not freeze.active(NOW + timedelta(hours=2))


def test_a_freeze_survives_its_json() -> None:
    freeze = Freeze(by="U1", reason="incident: payments down", at=NOW, until=NOW + timedelta(hours=2))
    assert Freeze.from_json(freeze.to_json()) == freeze


def test_until_as_a_duration_counts_from_when_the_freeze_is_applied() -> None:
    until = parse_until("2h")
    assert until == FreezeFor(timedelta(hours=2))
    assert until.resolve(NOW) == NOW + timedelta(hours=2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-05T18:00+08:00", datetime(2026, 12, 5, 10, 0, tzinfo=UTC)),
        ("2026-12-05T10:00Z", datetime(2026, 12, 5, 10, 0, tzinfo=UTC)),
    ],
)
def test_until_as_a_moment_needs_its_offset(text: str, expected: datetime) -> None:
    assert parse_until(text) == FreezeUntil(expected)
    assert parse_until(text).resolve(NOW) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [("2026-12-05T18:00", "has no time zone"), ("tomorrow", "neither a duration"), ("5", "neither a duration")],
)
def test_until_that_cannot_be_read_is_refused(text: str, says: str) -> None:
    with pytest.raises(UntilError, match=says):
        parse_until(text)
