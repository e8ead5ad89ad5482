"""A freeze holds an approved migration before MigrateCluster, says so once in its thread, and the unfreeze
releases it: against the sandbox and a real Redis, jobs run by real RQ in this process."""

from __future__ import annotations

import time
from typing import Any

from tests.workers.runbook_harness import (
    approved_migration,
    delivered,
    drive,
    make_context,
    migratable_cluster,
)
from workers.audit import AuditLog
from workers.domain.jobs import Job
from workers.domain.records import State
from workers.wave_engine import release_after_unfreeze


def _migrate_calls(sandbox: Any) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = sandbox.control.calls(service="ack", action="MigrateCluster")
    return calls


def test_a_freeze_holds_an_approved_migration_and_the_unfreeze_releases_it(sandbox, sandbox_env):
    ctx = make_context(sandbox_env)
    record = approved_migration(ctx, migratable_cluster(sandbox))
    ctx.freezes.freeze(by="U0OPS", reason="incident 42")

    ctx.queues.enqueue(Job.RUN_MIGRATION, record.id)
    began = time.monotonic()
    # Long enough for several looks (the poll interval is 0.2 s): each finds the freeze again.
    drive(ctx, lambda: ctx.store.get(record.id).migration_result.held_by_freeze is not None
          and time.monotonic() - began > 1.5)

    held = ctx.store.get(record.id)
    assert held.state is State.APPROVED
    assert _migrate_calls(sandbox) == []
    assert [e.event for e in AuditLog(ctx.redis).read(request=record.id) if e.event == "migration_held"] == [
        "migration_held"]

    ctx.freezes.unfreeze(by="U0LEAD")
    # The held look is waiting in RQ's schedule (no worker runs between drives): the unfreeze moves it on.
    assert release_after_unfreeze(ctx) == [record.id]
    drive(ctx, delivered(ctx, record.id))

    final = ctx.store.get(record.id)
    assert final.state is State.SUCCEEDED
    assert len(_migrate_calls(sandbox)) == 1
    texts = [str(m.get("text", "")) for m in sandbox.control.slack_messages("C0PLATFORM", thread_ts=final.message_ts)]
    assert sum("Held:" in text and "incident 42" in text for text in texts) == 1
