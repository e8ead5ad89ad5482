"""`ackmigrate status`: requests in flight and recent results, or one cluster's requests, for a terminal.

Operators reach for it when Slack is not the place (an incident, a change review, a script), so it
reads Redis directly — the same source of truth the bot renders from — and prints either a table a
person can scan or JSON a script can parse. (`/ackmigrate status` in Slack is bot.status.)
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from redis.exceptions import RedisError

from cli.exit_codes import EXIT_OK
from cli.table import age, redis_failed, table
from workers.config import Settings
from workers.domain.records import Record
from workers.redis_connection import connect_redis
from workers.store import RecordStore

RECENT_LIMIT = 20


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
        return redis_failed(settings, error)
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


def _records_table(records: Sequence[Record], *, now: float) -> str:
    rows = [["ID", "STATE", "CLUSTER", "REQUESTER → APPROVER", "STAGE", "AGE"]]
    for record in records:
        people = record.requester + (f" → {record.decided_by}" if record.decided_by else "")
        stage = f"{record.stage}/{record.stage_total}" if record.stage_total else "-"
        if record.stage_name:
            stage += f" {record.stage_name}"
        rows.append([record.id, str(record.state), f"{record.cluster_name} ({record.cluster_id})", people,
                     stage, age(now - record.created_at)])
    return table(rows)
