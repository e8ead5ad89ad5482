"""`ackmigrate verify CLUSTER`: check that a migrated cluster works, from a terminal (or a script, `--json`).

stdout carries only the result; progress and problems go to stderr. The checks are workers.verifying's,
the same the runbook runs after a migration and `/ackmigrate verify` answers with.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

from cli.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from workers.checks.model import Outcome
from workers.config import Settings
from workers.context import Context
from workers.errors import CloudError, Conflict, NotFound
from workers.fleet.locate import Located, NotLocated, fleet_configured, locate
from workers.verification import VerificationReport
from workers.verifying import verify_now


def run_verify(
    settings: Settings, *, cluster: str, as_json: bool, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """`ackmigrate verify CLUSTER [--json]`: exit 0 verified, 1 failed (or could not run), 2 unknown cluster."""
    out = out or sys.stdout
    err = err or sys.stderr
    ctx = Context.build(settings)
    try:
        located = _locate(ctx, cluster)
    except (NotFound, Conflict) as error:
        print(f"ackmigrate verify: {error.message}", file=err)
        return EXIT_USAGE
    except NotLocated as refused:
        print(f"ackmigrate verify: {refused}", file=err)
        return EXIT_USAGE
    except CloudError as error:
        print(f"ackmigrate verify: could not read cluster {cluster}: {error}", file=err)
        return EXIT_FAILED
    detail = located.detail
    print(f"Verifying {detail.name} ({detail.cluster_id})…", file=err)
    try:
        report = verify_now(ctx, located)
    except CloudError as error:
        print(f"ackmigrate verify: could not verify {detail.name}: {error}", file=err)
        return EXIT_FAILED
    print(json.dumps(report.to_dict(), indent=2) if as_json else format_verification(report), file=out)
    return EXIT_OK if report.verified else EXIT_FAILED


def _locate(ctx: Context, cluster: str) -> Located:
    """With a fleet configured, the cluster in any account and region (workers.fleet.locate); without one,
    the default region's lookup as it always was (ACK's own sentence for a cluster that is not there)."""
    if fleet_configured(ctx.settings):
        return locate(ctx, cluster)
    clouds = ctx.clouds()
    return Located(clouds.ack.resolve_cluster(cluster), clouds, account=None)


def format_verification(report: VerificationReport) -> str:
    labels = {Outcome.PASS: "PASS ", Outcome.WARN: "WARN ", Outcome.FAIL: "FAIL ", Outcome.ERROR: "ERROR"}
    lines = [f"Verification of {report.cluster_name} ({report.cluster_id})", ""]
    for check in report.checks:
        lines.append(f"{labels.get(check.outcome, 'INFO ')}  {check.id:<13} {check.title}")
        lines.append(f"       {check.summary}")
        if check.fix:
            lines.append(f"       Fix: {check.fix}")
    for follow_up in report.follow_ups:
        word = "DONE " if follow_up.outcome is Outcome.PASS else "TODO "
        lines.append(f"{word}  {follow_up.title}: {follow_up.summary}")
    lines.append("")
    lines.append("Verdict: VERIFIED" if report.verified else
                 f"Verdict: FAILED — {', '.join(c.id for c in report.failures)}")
    return "\n".join(lines)
