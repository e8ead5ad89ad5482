"""The audit log in a real Redis stream: what is kept, what is trimmed, and what a reader finds."""

from __future__ import annotations

import time

import pytest
import redis

from workers.audit import AUDIT_KEY, AuditLog

DAY = 86_400.0


def test_appended_events_read_back_in_order_with_their_details(redis_client: redis.Redis) -> None:
    log = AuditLog(redis_client)
    log.append("command", actor="U0ALICE", cluster_id="c82e", text="migrate prod-hz-1 --bucket b")
    entry_id = log.append("cloud_call", actor="U0BOB", record_id="m-1", cluster_id="c82e",
                          action="MigrateCluster", request_id="4A1F-REQ", http_status=202, dry_run=False)

    entries = log.read()

    assert [e.event for e in entries] == ["command", "cloud_call"]
    call = entries[1]
    assert call.id == entry_id
    assert (call.actor, call.record_id, call.cluster_id, call.outcome) == ("U0BOB", "m-1", "c82e", "ok")
    assert call.details == {"action": "MigrateCluster", "request_id": "4A1F-REQ", "http_status": 202,
                            "dry_run": False}
    assert abs(call.time - time.time()) < 60


def test_entries_older_than_the_retention_are_trimmed_on_append(redis_client: redis.Redis) -> None:
    now = time.time()
    log = AuditLog(redis_client, retention_days=30)
    log.append("approved", actor="U0BOB", at=now - 40 * DAY)
    log.append("rejected", actor="U0CAROL", at=now - 31 * DAY)
    log.append("expired", record_id="m-2", at=now - 29 * DAY)

    log.append("command", actor="U0ALICE")

    assert [e.event for e in log.read()] == ["expired", "command"]
    assert redis_client.xlen(AUDIT_KEY) == 2


def test_since_and_cluster_filter_by_time_and_by_cluster_id_or_name(redis_client: redis.Redis) -> None:
    now = time.time()
    log = AuditLog(redis_client)
    log.append("command", cluster_id="c-hz", cluster_name="prod-hz-1", at=now - 3 * DAY)
    log.append("approved", cluster_id="c-sh", cluster_name="prod-sh-2", at=now - 2 * DAY)
    log.append("job_finished", cluster_id="c-hz", cluster_name="prod-hz-1", outcome="failed", at=now - DAY)

    assert [e.event for e in log.read(since=now - 2.5 * DAY)] == ["approved", "job_finished"]
    assert [e.event for e in log.read(cluster="prod-hz-1")] == ["command", "job_finished"]
    assert [e.event for e in log.read(cluster="c-sh")] == ["approved"]
    assert log.read(cluster="c-hz")[1].outcome == "failed"


def test_limit_keeps_the_newest_entries_oldest_first(redis_client: redis.Redis) -> None:
    log = AuditLog(redis_client)
    for n in range(1_200):  # more than one read batch
        log.append("command", actor="U0ALICE", n=n)

    entries = log.read(limit=700)

    assert [e.details["n"] for e in entries] == list(range(500, 1_200))


def test_unknown_event_name_is_refused(redis_client: redis.Redis) -> None:
    with pytest.raises(ValueError, match="unknown audit event 'aproved'"):
        AuditLog(redis_client).append("aproved")
    assert redis_client.exists(AUDIT_KEY) == 0
