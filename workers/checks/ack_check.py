"""ACK's own ClusterMigrate check, read as a precheck result.

The console runs it before a migration and proceeds only when it passes (RunClusterCheck type
ClusterMigrate, then GetClusterCheck; its items cover the API server SLB, the VPC, the vSwitch's free IPs
(at least two) and components — see the hot-migration doc, catalog.MIGRATION_DOC). The official model
(alibabacloud_cs20151215 GetClusterCheckResponseBody) documents `status` only by its example `Succeeded`,
and `check_items` as category → list of free-form maps, so anything not plainly finished and passed is
never read as a pass: unknown final states are `error`, and a check that does not end in time is `error`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from workers.checks.catalog import result
from workers.checks.model import CheckResult, Outcome, name_list
from workers.cloud.models import ClusterCheckItem, ClusterCheckRun

PASSED = frozenset({"succeeded", "success", "succeed", "pass", "passed", "ok", "normal"})
FAILED = frozenset({"failed", "fail", "failure", "error", "abnormal", "notpass", "not_pass"})
RUNNING = frozenset({"", "running", "pending", "created", "init", "initial", "checking", "waiting", "inprogress"})


def still_running(run: ClusterCheckRun) -> bool:
    """Whether to poll again: a running-like status and no finish time yet."""
    return _norm(run.status) in RUNNING and not run.finished_at


def failing_items(run: ClusterCheckRun) -> list[ClusterCheckItem]:
    """Items that did not pass; when the check as a whole passed, only those that say they failed."""
    if _norm(run.status) in PASSED:
        return [item for item in run.items if _norm(item.status) in FAILED]
    return [item for item in run.items if _norm(item.status) not in PASSED]


def check_ack_migration(run: ClusterCheckRun) -> CheckResult:
    """The ended check as a result: pass only when ACK says it passed and no item says otherwise."""
    status = _norm(run.status)
    failing = failing_items(run)
    shown = name_list([_item_text(item) for item in failing], limit=6, max_chars=300)
    unclear = [item for item in run.items if _norm(item.status) not in PASSED | FAILED]
    if status in PASSED and not failing and unclear:
        return result(
            "ack-migration-check",
            Outcome.WARN,
            f"ACK's ClusterMigrate check passed (check {run.check_id}), but these items report something "
            f"else than a pass: {name_list([_item_text(item) for item in unclear], limit=6, max_chars=300)}.",
            "Read those items in the ACK console before approving.",
        )
    if status in PASSED and not failing:
        return result(
            "ack-migration-check",
            Outcome.PASS,
            f"ACK's ClusterMigrate check passed ({len(run.items)} items, check {run.check_id}).",
        )
    if status in FAILED or (status in PASSED and failing):
        return result(
            "ack-migration-check",
            Outcome.FAIL,
            f"ACK's ClusterMigrate check failed (check {run.check_id}): "
            + (shown if failing else run.message or "no failing item named"),
            "Fix the items ACK names (API server SLB, VPC, vSwitch free IPs, components), then run the "
            "precheck again: ACK will not migrate the cluster until its own check passes.",
        )
    return result(
        "ack-migration-check",
        Outcome.ERROR,
        f"ACK's ClusterMigrate check ended with status {run.status or '(none)'!r}, which ackmigrate cannot "
        f"read as passed (check {run.check_id}: {run.message or 'no message'}).",
        "Look at the check in the ACK console (cluster → migrate to Pro → check) before approving.",
    )


def timed_out(*, check_id: str, waited_s: float, status: str) -> CheckResult:
    return result(
        "ack-migration-check",
        Outcome.ERROR,
        f"ACK's ClusterMigrate check {check_id} had not finished after {waited_s:.0f} s "
        f"(last status {status or '(none)'}).",
        "Run the precheck again later, or raise ACKMIGRATE_ACK_CHECK_TIMEOUT.",
    )


def _item_text(item: ClusterCheckItem) -> str:
    label = f"{item.category}/{item.name}" if item.category and item.category != item.name else item.name
    return f"{label}: {item.message}" if item.message else label


def _norm(status: str) -> str:
    return status.strip().lower().replace(" ", "").replace("-", "")


def run_ack_check(
    *,
    start: Callable[[], str],
    latest_running: Callable[[], str | None],
    get: Callable[[str], ClusterCheckRun],
    timeout_s: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> CheckResult:
    """Follow a ClusterMigrate check to its end within `timeout_s`: one already running for the cluster is
    followed rather than started again. Polls back off from 0.25 s to 5 s: ACK's check takes seconds to
    minutes, and a precheck should not wait longer than it must."""
    check_id = latest_running() or start()
    if not check_id:
        return result(
            "ack-migration-check",
            Outcome.ERROR,
            "RunClusterCheck answered without a check_id, so ACK's ClusterMigrate check cannot be followed.",
            "Run the check from the ACK console before approving.",
        )
    began = clock()
    pause = 0.25
    while True:
        run = get(check_id)
        if not still_running(run):
            return check_ack_migration(run)
        waited = clock() - began
        if waited >= timeout_s:
            return timed_out(check_id=check_id, waited_s=waited, status=run.status)
        sleep(min(pause, max(0.0, timeout_s - waited)))
        pause = min(pause * 2, 5.0)
