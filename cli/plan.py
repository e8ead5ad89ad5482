"""`ackmigrate plan`: the fleet's readiness from a terminal.

stdout carries only the result: the report as text, one JSON document (`--json`) or the full table as CSV
(`--csv`), so it can be piped; a progress bar goes to stderr. Exit codes: 0 the plan ran (whatever the
clusters' readiness: a plan reports, it does not gate), 1 a place could not be listed, 2 usage (an
account or region not configured, a missing credential).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any, TextIO

from cli.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from workers.cloud.fleet import FleetClients
from workers.config import Settings
from workers.fleet.plan import Progress, run_plan
from workers.fleet.report import PlanReport, to_csv
from workers.fleet.scope import Scope, ScopeError
from workers.ui.fleet_words import QUOTA_NOTE
from workers.ui.plan_report import bar, report_lines


def run_plan_cli(settings: Settings, *, account: str | None, region: str | None, output: str = "text",
                 out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    scope = Scope(account, region)
    fleet = FleetClients(settings)

    def show(progress: Progress) -> None:
        if progress.total is None:
            err.write(f"\rlisting clusters: {progress.places_done}/{progress.places_total} account/region pairs ")
        else:
            err.write(f"\rprechecks {bar(progress.checked, progress.total, 30)} "
                      f"{progress.checked}/{progress.total} ")
        err.flush()

    try:
        report = run_plan(fleet, scope, on_progress=show)
    except ScopeError as error:
        err.write(f"ackmigrate plan: {error}\n")
        return EXIT_USAGE
    err.write("\n")
    if output == "json":
        out.write(json.dumps(report_json(report), indent=2) + "\n")
    elif output == "csv":
        out.write(to_csv(report).decode())
    else:
        out.write("\n".join(report_lines(report)) + "\n")
    return EXIT_FAILED if any(p.error for p in report.places) else EXIT_OK


def report_json(report: PlanReport) -> dict[str, Any]:
    return {
        "scope": report.scope,
        "counts": {str(k): v for k, v in report.counts.items()},
        "places": [asdict(p) for p in report.places],
        "blockers": [asdict(b) for b in report.blockers],
        "quotas": [asdict(q) for q in report.quotas],
        "quota_note": QUOTA_NOTE,
        "clusters": [{**asdict(r), "readiness": str(r.readiness)} for r in report.rows],
        "seconds": round(report.seconds, 3),
    }
