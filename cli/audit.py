"""`ackmigrate audit`: the audit log for a terminal, or one request's whole story in order.

Read from Redis directly (the audit stream the bot and the workers write), printed as a table or as one
JSON object per line, easy to grep and to ship.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from redis.exceptions import RedisError

from cli.exit_codes import EXIT_OK, EXIT_USAGE
from cli.table import redis_failed, table
from workers.audit import AuditEntry, AuditLog
from workers.config import Settings
from workers.redis_connection import connect_redis

_AGE_RE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


class BadSince(ValueError):
    """`--since` was neither an ISO time nor an age like 12h."""


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
        return redis_failed(settings, error)
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


def _audit_table(entries: Sequence[AuditEntry]) -> str:
    rows = [["TIME (UTC)", "EVENT", "OUTCOME", "ACTOR", "CLUSTER", "REQUEST", "DETAILS"]]
    for entry in entries:
        details = " ".join(f"{key}={value}" for key, value in sorted(entry.details.items()))
        rows.append([datetime.fromtimestamp(entry.time, UTC).strftime("%Y-%m-%d %H:%M:%S"), entry.event,
                     entry.outcome, entry.actor or "-", entry.cluster_id or "-", entry.record_id or "-",
                     details])
    return table(rows)
