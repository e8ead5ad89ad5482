"""What cannot be checked up front but must be in front of the approver: whitelisting, no rollback."""

from __future__ import annotations

from workers.checks.catalog import result
from workers.checks.model import CheckResult, Outcome


def whitelist_notice() -> CheckResult:
    return result(
        "whitelist",
        Outcome.INFO,
        "The account must be whitelisted for hot migration; this is only known when MigrateCluster answers, "
        "and a refusal is reported as such.",
        "If the migration is refused as not whitelisted, submit a ticket to be added to the whitelist.",
    )


def no_rollback_notice(*, master_count: int | None) -> CheckResult:
    masters = f"the {master_count} masters" if master_count else "the masters"
    return result(
        "no-rollback",
        Outcome.INFO,
        "The migration cannot be rolled back. It takes about 10-15 minutes; the API server is unavailable "
        f"for 5-10 minutes of it; the SLB address does not change. Afterwards {masters} go Unknown and "
        "their ECS instances are not deleted (they stay billed until released).",
        "Approve only in a maintenance window; clean up the old masters afterwards.",
    )
