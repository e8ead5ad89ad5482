"""The freeze switch against a real Redis: read back, lifted at its end, and every change audited."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import redis

from workers.audit import AuditLog
from workers.freeze_store import FREEZE_KEY, FreezeStore, NotFrozen


@pytest.fixture
def audit(redis_client: redis.Redis) -> AuditLog:
    return AuditLog(redis_client)


@pytest.fixture
def freezes(redis_client: redis.Redis, audit: AuditLog) -> FreezeStore:
    return FreezeStore(redis_client, audit)


def test_nothing_is_frozen_at_first(freezes: FreezeStore) -> None:
    assert freezes.current() is None


def test_a_freeze_reads_back_and_is_audited(freezes: FreezeStore, audit: AuditLog) -> None:
    freeze = freezes.freeze(by="U9", reason="payments incident")
    assert freezes.current() == freeze
    [entry] = audit.read()
    assert (entry.event, entry.actor, entry.details) == ("frozen", "U9", {"reason": "payments incident"})


def test_a_freeze_with_an_end_expires_in_redis_at_that_moment(
    freezes: FreezeStore, redis_client: redis.Redis, audit: AuditLog
) -> None:
    until = datetime.now(UTC) + timedelta(hours=2)
    freezes.freeze(by="U9", reason="release", until=until)
    expires_ms = int(redis_client.pexpiretime(FREEZE_KEY))
    assert expires_ms == int(until.timestamp() * 1000)
    assert audit.read()[0].details["until"] == pytest.approx(until.timestamp())


def test_a_freeze_that_has_ended_is_not_current(redis_client: redis.Redis, audit: AuditLog) -> None:
    start = time.time()
    clock = [start]
    freezes = FreezeStore(redis_client, audit, clock=lambda: clock[0])
    freezes.freeze(by="U9", reason="release", until=datetime.fromtimestamp(start + 3600, UTC))
    clock[0] = start + 3600
    assert freezes.current() is None


def test_a_freeze_ending_in_the_past_is_refused(freezes: FreezeStore, audit: AuditLog) -> None:
    with pytest.raises(ValueError, match="already be over"):
        freezes.freeze(by="U9", reason="x", until=datetime.now(UTC) - timedelta(minutes=1))
    assert freezes.current() is None and len(audit) == 0


def test_a_second_freeze_replaces_the_first(freezes: FreezeStore) -> None:
    freezes.freeze(by="U9", reason="first")
    second = freezes.freeze(by="U8", reason="second")
    assert freezes.current() == second


def test_unfreeze_lifts_it_and_is_audited(freezes: FreezeStore, audit: AuditLog) -> None:
    frozen = freezes.freeze(by="U9", reason="incident")
    lifted = freezes.unfreeze(by="UA")
    assert (lifted.freeze, lifted.by) == (frozen, "UA")
    assert freezes.current() is None
    assert [(e.event, e.actor) for e in audit.read()] == [("frozen", "U9"), ("unfrozen", "UA")]
    assert audit.read()[1].details == {"reason": "incident", "frozen_by": "U9"}


def test_unfreeze_with_nothing_frozen_changes_nothing(freezes: FreezeStore, audit: AuditLog) -> None:
    with pytest.raises(NotFrozen, match="nothing is frozen"):
        freezes.unfreeze(by="UA")
    assert len(audit) == 0
