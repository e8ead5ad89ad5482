"""A freeze: while one is active nothing new starts, neither single migrations nor wave clusters.

Migrations already running are followed to their end (stopping one mid-way is not possible: MigrateCluster
cannot be rolled back). Freezing needs no approval, so anyone who sees trouble can stop new starts at once;
lifting it early (`unfreeze`) needs an approver. A freeze with `until` lifts itself then.

`freeze --until T` takes a duration from now (`2h`, `1d`) or a moment (ISO 8601 with its offset:
`2026-12-05T18:00+08:00`, `2026-12-05T10:00Z`); a moment without an offset is refused, because the
bot's clock and the operator's may be in different zones. Pure: `now` is always passed in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from workers.domain.durations import DurationError, parse_duration


class UntilError(ValueError):
    """`--until` is neither a duration nor a moment with an offset; str() says what is expected."""


@dataclass(frozen=True)
class FreezeFor:
    """`--until 2h`: a span from the moment the freeze is applied."""

    span: timedelta

    def resolve(self, now: datetime) -> datetime:
        return now + self.span


@dataclass(frozen=True)
class FreezeUntil:
    """`--until 2026-12-05T18:00+08:00`: a moment."""

    at: datetime

    def resolve(self, now: datetime) -> datetime:
        return self.at


Until = FreezeFor | FreezeUntil


def parse_until(text: str) -> Until:
    try:
        return FreezeFor(parse_duration(text))
    except DurationError:
        pass  # not a duration: perhaps a moment
    spelled = text.strip()
    try:
        moment = datetime.fromisoformat(spelled[:-1] + "+00:00" if spelled.endswith(("Z", "z")) else spelled)
    except ValueError:
        raise UntilError(f"`{text}` is neither a duration (30m, 2h, 1d) nor a moment like "
                         "2026-12-05T18:00+08:00") from None
    if moment.tzinfo is None:
        raise UntilError(f"`{text}` has no time zone: add its offset, like {spelled}+08:00 or {spelled}Z")
    return FreezeUntil(moment.astimezone(UTC))


@dataclass(frozen=True)
class Freeze:
    """Who froze starts, why, since when, and until when (None: until someone unfreezes)."""

    by: str  # Slack user id
    reason: str
    at: datetime
    until: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.until is None or now < self.until

    def to_json(self) -> str:
        return json.dumps({"by": self.by, "reason": self.reason, "at": self.at.timestamp(),
                           "until": None if self.until is None else self.until.timestamp()}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> Freeze:
        data: dict[str, Any] = json.loads(text)
        until = data.get("until")
        return cls(by=str(data["by"]), reason=str(data["reason"]), at=_moment(data["at"]),
                   until=None if until is None else _moment(until))


def _moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(float(epoch), UTC)
