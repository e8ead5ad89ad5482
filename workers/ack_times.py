"""ACK's timestamps as epoch seconds, whichever of its two forms a field uses.

Task and cluster fields are ISO 8601 (`2026-11-25T06:02:11Z`, `2019-11-25T15:50:20+08:00`); DescribeTaskInfo's
stage times are `YYYY-MM-DD HH:mm:ss` (alibabacloud_cs20151215 DescribeTaskInfoResponseBodyStages: "The format
is YYYY-MM-DD HH:mm:ss"), without a zone. The doc does not name that zone; a zone-less time is read as UTC,
and nothing irreversible is decided on it (stage times only date the timeline).
"""

from __future__ import annotations

from datetime import UTC, datetime


def ack_time(stamp: str) -> float | None:
    """Epoch seconds, or None when the field is empty or in neither form."""
    text = stamp.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
