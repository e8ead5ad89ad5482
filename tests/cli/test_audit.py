"""`ackmigrate status` and `ackmigrate audit` as an operator runs them: the real script, real Redis."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from cli.audit import BadSince, parse_since
from workers.audit import AuditLog
from workers.domain.records import Kind, Record, State, new_record_id
from workers.store import RecordStore

ACKMIGRATE = str(Path(sys.executable).with_name("ackmigrate"))
DAY = 86_400.0


def _run(redis_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Only what Settings.from_env needs (REDIS_URL; the rest defaults), in a directory with no .env."""
    return subprocess.run([ACKMIGRATE, *args], env={"REDIS_URL": redis_url, "PATH": "/usr/bin:/bin"},
                          cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def _record(cluster_id: str, name: str, *, created_at: float) -> Record:
    return Record(id=new_record_id(Kind.MIGRATION), kind=Kind.MIGRATION, cluster_id=cluster_id,
                  cluster_name=name, region="cn-hangzhou", requester="U0ALICE", channel="C0PLATFORM",
                  bucket="ack-migrate-hz", created_at=created_at)


@pytest.fixture
def store(redis_client: redis.Redis) -> RecordStore:
    return RecordStore(redis_client)


def _migrating(store: RecordStore) -> Record:
    record = store.create(_record("c82e", "prod-hz-1", created_at=time.time() - 7 * 60))
    store.transition(record.id, State.PRECHECKING)
    store.transition(record.id, State.AWAITING_APPROVAL)
    store.transition(record.id, State.APPROVED, decided_by="U0BOB", decided_at=time.time())
    return store.transition(record.id, State.MIGRATING, stage=3, stage_total=5,
                            stage_name="Migrating control plane", task_id="T-62cc")


def test_status_shows_in_flight_and_recent_requests_as_a_table(
    store: RecordStore, redis_url: str, tmp_path: Path
) -> None:
    flying = _migrating(store)
    ended = store.create(_record("c-bj", "stg-bj-3", created_at=time.time() - 2 * DAY))
    store.transition(ended.id, State.CANCELLED, decided_by="U0ALICE")

    result = _run(redis_url, tmp_path, "status")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "In flight"
    assert lines[1].split() == ["ID", "STATE", "CLUSTER", "REQUESTER", "→", "APPROVER", "STAGE", "AGE"]
    assert lines[2].split() == [flying.id, "migrating", "prod-hz-1", "(c82e)", "U0ALICE", "→", "U0BOB",
                                "3/5", "Migrating", "control", "plane", "7m"]
    recent = lines[lines.index("Recent (last 20)") + 2].split()
    assert recent[:4] == [ended.id, "cancelled", "stg-bj-3", "(c-bj)"] and recent[-1] == "2d"


def test_status_of_one_cluster_as_json_lists_its_requests_newest_first(
    store: RecordStore, redis_url: str, tmp_path: Path
) -> None:
    old = store.create(_record("c82e", "prod-hz-1", created_at=time.time() - DAY))
    store.transition(old.id, State.CANCELLED)
    current = _migrating(store)

    result = _run(redis_url, tmp_path, "status", "prod-hz-1", "--json")

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["cluster"] == "prod-hz-1"
    assert [(r["id"], r["state"]) for r in document["requests"]] == [(current.id, "migrating"),
                                                                    (old.id, "cancelled")]
    assert document["requests"][0]["task_id"] == "T-62cc"


def test_status_with_nothing_stored_says_so(redis_url: str, tmp_path: Path) -> None:
    result = _run(redis_url, tmp_path, "status")
    assert result.returncode == 0
    assert "nothing in flight" in result.stdout and "nothing finished yet" in result.stdout
    assert _run(redis_url, tmp_path, "status", "prod-hz-9").stdout == "No requests for prod-hz-9.\n"


def test_audit_json_prints_one_entry_per_line_filtered_by_since_and_cluster(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    log = AuditLog(redis_client)
    now = time.time()
    log.append("command", actor="U0ALICE", cluster_id="c82e", cluster_name="prod-hz-1", at=now - 10 * DAY)
    log.append("approved", actor="U0BOB", record_id="m-1", cluster_id="c82e", cluster_name="prod-hz-1",
               at=now - 2 * DAY)
    log.append("cloud_call", record_id="m-1", cluster_id="c82e", action="MigrateCluster",
               request_id="4A1F-REQ", at=now - DAY)
    log.append("refused", actor="U0EVE", cluster_id="c-sh", outcome="refused", reason="not an approver")

    result = _run(redis_url, tmp_path, "audit", "--since", "7d", "--cluster", "c82e", "--json")

    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["event"] for e in entries] == ["approved", "cloud_call"]
    assert entries[1]["details"] == {"action": "MigrateCluster", "request_id": "4A1F-REQ"}
    assert entries[0]["actor"] == "U0BOB"


def test_audit_table_shows_time_event_actor_and_details(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    at = datetime(2026, 11, 20, 14, 2, 5, tzinfo=UTC).timestamp()
    AuditLog(redis_client, clock=lambda: at).append(
        "approved", actor="U0BOB", record_id="m-1", cluster_id="c82e", at=at, via="button")

    result = _run(redis_url, tmp_path, "audit", "--since", "2026-11-20")

    assert result.returncode == 0, result.stderr
    header, row = result.stdout.splitlines()
    assert header.split()[:4] == ["TIME", "(UTC)", "EVENT", "OUTCOME"]
    assert row.split() == ["2026-11-20", "14:02:05", "approved", "ok", "U0BOB", "c82e", "m-1", "via=button"]


def test_audit_with_a_bad_since_is_a_usage_error(redis_url: str, tmp_path: Path) -> None:
    result = _run(redis_url, tmp_path, "audit", "--since", "last tuesday")
    assert result.returncode == 2
    assert "--since expects an ISO time" in result.stderr and "'last tuesday'" in result.stderr
    assert result.stdout == ""


def test_status_without_redis_fails_with_one_line(tmp_path: Path) -> None:
    result = _run("redis://127.0.0.1:1/0", tmp_path, "status")
    assert result.returncode == 1
    assert result.stderr.startswith("ackmigrate: cannot read Redis at redis://127.0.0.1:1/0")


@pytest.mark.parametrize(("text", "expected"), [
    ("30m", 10_000.0 - 1_800), ("12h", 10_000.0 - 43_200), ("7d", 10_000.0 - 604_800),
    ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC).timestamp()),
    ("2026-11-01T08:00+08:00", datetime(2026, 11, 1, tzinfo=UTC).timestamp()),
])
def test_since_accepts_ages_and_iso_times(text: str, expected: float) -> None:
    assert parse_since(text, now=10_000.0) == expected


def test_since_refuses_anything_else() -> None:
    with pytest.raises(BadSince):
        parse_since("7 days ago", now=10_000.0)
