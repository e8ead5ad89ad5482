"""Which checks do not apply to a cluster, and how a check's error is traced to the cluster's state.

An already-managed (or serverless, edge, registered) cluster has no masters of its own: ACK lists none and
there is no master RAM role, so the master checks could only report `error`, and send the user chasing a
permissions problem that does not exist. Those checks are skipped, saying why, but only when cluster-type
has established what the cluster is. A type we cannot read proves nothing, and a dedicated cluster whose
masters cannot be listed has a real problem that must be reported as an error.

A cluster that is not running is still dedicated, so nothing is skipped on it: a check that could not run
stays an `error` (the cause may yet be a permission), but its fix names the state as the likely cause, so
the user gets the cluster running before debugging access.
"""

from __future__ import annotations

from dataclasses import replace

from workers.checks.catalog import result
from workers.checks.cluster_checks import NOT_DEDICATED, ClusterKind
from workers.checks.model import CheckResult, Outcome

RUNNING = "running"

# The checks that need the cluster's own masters, and what a cluster without them lacks for each.
MASTER_CHECKS: dict[str, str] = {
    "cloud-assistant": "it has no masters of its own for Cloud Assistant to run on",
    "master-pods": "it has no masters of its own for workloads to be left on",
    "ram-policy": "it has no master RAM role to grant the bucket to",
    "ack-migration-check": "there is no dedicated control plane for ACK's ClusterMigrate check to look at",
}

# Read from the cluster detail itself, which the run already has: the state cannot explain their errors.
_DETAIL_CHECKS = frozenset({"cluster-type", "cluster-state", "k8s-version", "timezone"})


def masters_absent_because(kind: ClusterKind) -> str | None:
    """Why the master checks do not apply (`the cluster is already an ACK Pro cluster`), or None when they
    do: the cluster is dedicated, or its kind is unknown and so proves nothing."""
    what = NOT_DEDICATED.get(kind)
    return None if what is None else f"the cluster is {what}"


def skipped_master_check(check_id: str, *, reason: str) -> CheckResult:
    """A master check that does not apply: `skip`, never `pass`, with the reason as its summary."""
    return result(check_id, Outcome.SKIP, f"Skipped: {reason}, so {MASTER_CHECKS[check_id]}.")


def trace_to_state(check: CheckResult, *, state: str) -> CheckResult:
    """On a cluster that is not running, point an error's fix at the state first. The outcome is kept:
    the error may be a real access problem that would outlive the state."""
    if state == RUNNING or check.outcome is not Outcome.ERROR or check.id in _DETAIL_CHECKS:
        return check
    return replace(
        check,
        fix=(
            f"The cluster is {state or '(no state)'} (see cluster-state), the likely cause: get it running "
            "and run the precheck again. If this check still cannot run then, fix what it names."
        ),
    )
