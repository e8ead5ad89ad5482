"""`ackmigrate status` and `ackmigrate audit`: what the store and the audit log hold, for a terminal.

Operators reach for these when Slack is not the place (an incident, a change review, a script), so
they read Redis directly — the same source of truth the bot renders from — and print either a table a
person can scan or JSON a script can parse.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from redis.exceptions import RedisError

from workers.audit import AuditEntry, AuditLog
from workers.config import Settings
from workers.domain.records import Record
from workers.redis_connection import connect_redis, describe_redis
from workers.store import RecordStore

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

RECENT_LIMIT = 20
_AGE_RE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


class BadSince(ValueError):
    """`--since` was neither an ISO time nor an age like 12h."""


def run_status(settings: Settings, cluster: str | None, as_json: bool) -> int:
    """Requests in flight and recent results, or every request of one cluster (id or name)."""
    now = time.time()
    try:
        store = RecordStore(connect_redis(settings))
        if cluster is None:
            in_flight, recent = store.in_flight(), store.recent(limit=RECENT_LIMIT)
        else:
            in_flight, recent = [], store.for_cluster(cluster)
    except RedisError as error:
        return _redis_failed(settings, error)
    if as_json:
        document: dict[str, Any]
        if cluster is None:
            document = {"in_flight": [r.to_dict() for r in in_flight],
                        "recent": [r.to_dict() for r in recent]}
        else:
            document = {"cluster": cluster, "requests": [r.to_dict() for r in recent]}
        print(json.dumps(document, indent=2, sort_keys=True))
        return EXIT_OK
    if cluster is not None:
        print(_records_table(recent, now=now) if recent else f"No requests for {cluster}.")
        return EXIT_OK
    print("In flight")
    print(_records_table(in_flight, now=now) if in_flight else "  nothing in flight")
    print()
    print(f"Recent (last {RECENT_LIMIT})")
    print(_records_table(recent, now=now) if recent else "  nothing finished yet")
    return EXIT_OK


def run_audit(
    settings: Settings, since: str | None, cluster: str | None, as_json: bool, request: str | None = None
) -> int:
    """The audit log, oldest first; `--json` prints one object per line (easy to grep and to ship).

    `request` tells one request's whole story in order: the command that opened it, its decisions, its
    jobs and the cloud calls it made."""
    try:
        since_ts = parse_since(since, now=time.time()) if since else None
    except BadSince as error:
        print(f"ackmigrate: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        log = AuditLog(connect_redis(settings), retention_days=settings.audit_retention_days)
        entries = log.read(since=since_ts, cluster=cluster, request=request)
    except RedisError as error:
        return _redis_failed(settings, error)
    if as_json:
        for entry in entries:
            print(json.dumps(entry.to_dict(), sort_keys=True))
        return EXIT_OK
    print(_audit_table(entries) if entries else "No audit entries match.")
    return EXIT_OK


def parse_since(text: str, *, now: float) -> float:
    """An age (`30m`, `12h`, `7d`, `2w`) back from now, or an ISO date/time (UTC unless it says)."""
    value = text.strip()
    age = _AGE_RE.match(value)
    if age:
        return now - int(age.group(1)) * _UNIT_SECONDS[age.group(2)]
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadSince(
            f"--since expects an ISO time (2026-11-01 or 2026-11-01T00:00) or an age (30m, 12h, 7d); "
            f"got {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _records_table(records: Sequence[Record], *, now: float) -> str:
    rows = [["ID", "STATE", "CLUSTER", "REQUESTER → APPROVER", "STAGE", "AGE"]]
    for record in records:
        people = record.requester + (f" → {record.decided_by}" if record.decided_by else "")
        stage = f"{record.stage}/{record.stage_total}" if record.stage_total else "-"
        if record.stage_name:
            stage += f" {record.stage_name}"
        rows.append([record.id, str(record.state), f"{record.cluster_name} ({record.cluster_id})", people,
                     stage, _age(now - record.created_at)])
    return _table(rows)


def _audit_table(entries: Sequence[AuditEntry]) -> str:
    rows = [["TIME (UTC)", "EVENT", "OUTCOME", "ACTOR", "CLUSTER", "REQUEST", "DETAILS"]]
    for entry in entries:
        details = " ".join(f"{key}={value}" for key, value in sorted(entry.details.items()))
        rows.append([datetime.fromtimestamp(entry.time, UTC).strftime("%Y-%m-%d %H:%M:%S"), entry.event,
                     entry.outcome, entry.actor or "-", entry.cluster_id or "-", entry.record_id or "-",
                     details])
    return _table(rows)


def _table(rows: list[list[str]]) -> str:
    """Left-aligned columns, as wide as their widest cell; the last column runs free."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def _age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def _redis_failed(settings: Settings, error: RedisError) -> int:
    print(f"ackmigrate: cannot read Redis at {describe_redis(settings)}: {error}", file=sys.stderr)
    return EXIT_FAILED
