"""The audit log: who asked, who decided, and every mutating cloud call, kept for a year by default.

One Redis stream, `ackmigrate:audit`. Each entry's id is its time (milliseconds), so reading "since"
is a range query and retention is `XADD … MINID` (entries older than the retention are trimmed on
every append, exactly, so the log never holds more than the operator agreed to keep).

Entry fields: `event`, `outcome`, and when known `actor` (Slack user id), `record_id`, `cluster_id`;
`details` is a JSON object of the rest (for `cloud_call`: `action` and `request_id`; pass
`cluster_name` too so `--cluster NAME` finds the entry).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from redis.client import Pipeline

AUDIT_KEY = "ackmigrate:audit"

EVENTS = frozenset({
    "command", "requested", "blocked", "refused", "approved", "rejected", "cancelled", "expired",
    "job_started", "job_finished", "cloud_call", "slack_error", "verified", "frozen", "unfrozen",
    "wave_paused", "wave_resumed", "wave_finished", "wave_cluster_started", "wave_cluster_ended",
    "migration_held",
})
"""The event names operators filter on; an unknown name is refused so a typo cannot hide an event."""

_DAY_MS = 86_400_000
_READ_BATCH = 500

Detail = str | int | float | bool | None


@dataclass(frozen=True)
class AuditEntry:
    id: str
    time: float  # epoch seconds, from the entry id
    event: str
    actor: str | None
    record_id: str | None
    cluster_id: str | None
    outcome: str
    details: dict[str, Any] = field(default_factory=dict)

    def about(self, cluster: str) -> bool:
        return cluster in (self.cluster_id, self.details.get("cluster_name"))

    def of_request(self, record_id: str) -> bool:
        """This entry tells part of one request's story (its command, decisions, jobs, cloud calls)."""
        return self.record_id == record_id

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "time": self.time, "event": self.event, "actor": self.actor,
            "record_id": self.record_id, "cluster_id": self.cluster_id, "outcome": self.outcome,
            "details": self.details,
        }


class AuditLog:
    """Append-only, time-ordered, trimmed to `retention_days`."""

    def __init__(
        self, redis: Redis, *, retention_days: int = 366, clock: Callable[[], float] = time.time
    ) -> None:
        if retention_days < 1:
            raise ValueError("audit retention must be at least one day")
        self.redis = redis
        self.retention_days = retention_days
        self.clock = clock

    def append(
        self,
        event: str,
        *,
        actor: str | None = None,
        record_id: str | None = None,
        cluster_id: str | None = None,
        outcome: str = "ok",
        at: float | None = None,
        pipeline: Pipeline | None = None,
        **details: Detail,
    ) -> str:
        """Record one event; returns the entry id ("" when written into `pipeline`, sent by its owner).

        `at` backdates the entry (imports, tests); it must not be older than the newest entry, because
        a stream's ids only grow (and `<ms>-*` ids need Redis 7). Without it Redis stamps the entry with
        its own clock.
        """
        if event not in EVENTS:
            raise ValueError(f"unknown audit event {event!r}; expected one of {', '.join(sorted(EVENTS))}")
        fields: dict[str, str] = {"event": event, "outcome": outcome}
        for name, value in (("actor", actor), ("record_id", record_id), ("cluster_id", cluster_id)):
            if value is not None:
                fields[name] = value
        fields["details"] = json.dumps({k: v for k, v in details.items() if v is not None}, sort_keys=True)
        entry_id = "*" if at is None else f"{int(at * 1000)}-*"
        oldest_kept_ms = int(self.clock() * 1000) - self.retention_days * _DAY_MS
        target = self.redis if pipeline is None else pipeline
        added = target.xadd(AUDIT_KEY, fields, id=entry_id, minid=oldest_kept_ms, approximate=False)
        if pipeline is not None:
            return ""
        return _text(added)

    def read(
        self, *, since: float | None = None, cluster: str | None = None, request: str | None = None,
        limit: int = 1000,
    ) -> list[AuditEntry]:
        """The newest `limit` entries at or after `since` (about `cluster`, id or name; of one `request`),
        oldest first."""
        low = "-" if since is None else str(int(since * 1000))
        found: list[AuditEntry] = []
        high = "+"
        while len(found) < limit:
            batch = self.redis.xrevrange(AUDIT_KEY, max=high, min=low, count=_READ_BATCH)
            if not batch:
                break
            for raw_id, raw_fields in batch:
                entry = _entry(_text(raw_id), raw_fields)
                if (cluster is None or entry.about(cluster)) and (request is None or entry.of_request(request)):
                    found.append(entry)
                    if len(found) == limit:
                        break
            high = "(" + _text(batch[-1][0])
        found.reverse()
        return found

    def __len__(self) -> int:
        return int(self.redis.xlen(AUDIT_KEY))


def _entry(entry_id: str, raw: dict[Any, Any]) -> AuditEntry:
    values = {_text(k): _text(v) for k, v in raw.items()}
    details: dict[str, Any] = json.loads(values.get("details", "{}"))
    return AuditEntry(
        id=entry_id,
        time=int(entry_id.split("-", 1)[0]) / 1000,
        event=values.get("event", ""),
        actor=values.get("actor"),
        record_id=values.get("record_id"),
        cluster_id=values.get("cluster_id"),
        outcome=values.get("outcome", ""),
        details=details,
    )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
