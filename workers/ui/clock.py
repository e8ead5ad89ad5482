"""The one way ackmigrate shows a time in Slack.

The rule: a moment (when a request was approved, expired, finished) is written as Slack's date token,
`<!date^EPOCH^{time}|14:02 UTC>`, so every reader sees it in their own time zone and clock format; the text
after `|` is what Slack shows where it cannot render the token (notifications, some clients, exports), and
it always says UTC, so no fallback is ever a bare number in an unknown zone. Why not plain UTC everywhere:
a channel of approvers spans time zones, and "14:02 UTC" makes each of them do arithmetic before they know
whether a request expires before their meeting. Why not local time in the text: the bot has no time zone
of its own to pick. Plain-text fields (headers, a notification's `text`) cannot hold tokens, so none shows a
moment — only durations ("7 min elapsed"), which need no zone.

Slack's date formatting: https://docs.slack.dev/messaging/formatting-message-text#date-formatting
(`{time}` is 18:39 or 6:39 PM by the reader's preference; `{date_num}` is YYYY-MM-DD).
"""

from __future__ import annotations

import time


def at(epoch: float | None) -> str:
    """A time of day, in each reader's own time zone; "HH:MM UTC" where Slack cannot render the token."""
    if epoch is None:
        return "an unknown time"
    return f"<!date^{int(epoch)}^{{time}}|{time.strftime('%H:%M UTC', time.gmtime(epoch))}>"


def day(epoch: float) -> str:
    """A date (YYYY-MM-DD), in each reader's own time zone; the UTC date where the token cannot render."""
    return f"<!date^{int(epoch)}^{{date_num}}|{time.strftime('%Y-%m-%d', time.gmtime(epoch))}>"


def when(epoch: float) -> str:
    """A moment that may be days away (a freeze's end, a wave's next window): the day and the time, in each
    reader's own time zone ("Thu, Dec 3 14:02" or "today 14:02"); "Thu 2026-12-03 14:02 UTC" where Slack
    cannot render the token."""
    fallback = time.strftime("%a %Y-%m-%d %H:%M UTC", time.gmtime(epoch))
    return f"<!date^{int(epoch)}^{{date_short_pretty}} {{time}}|{fallback}>"


def duration(seconds: float) -> str:
    """How long something took or has been going, to the minute: "under a minute", "14 min", "2 h 5 min"."""
    minutes = int(max(0.0, seconds) // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def took(started_at: float | None, finished_at: float | None) -> str:
    """" — 14 min" after a result, or nothing when either end is not known."""
    if started_at is None or finished_at is None:
        return ""
    return f" — {duration(finished_at - started_at)}"
