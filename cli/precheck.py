"""`ackmigrate precheck`: the checks from a terminal, for operators and for scripts (`--json`).

stdout carries only the result (the checklist, or one JSON document) so it can be piped; progress goes
to stderr as each check finishes. Exit codes: 0 nothing blocks (warnings allowed); 1 a check failed or
could not run, or the cluster itself could not be read; 2 the command was used wrongly: a bad bucket name
or region, a cluster name or id that matches no cluster (or several), a missing credential. An unknown
cluster is a usage error, not a failed check: nothing was checked, and the message lists what exists.
"""

from __future__ import annotations

import json
import re
import sys
from typing import TextIO

from cli.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from workers.checks.bucket_checks import bucket_name_problem
from workers.checks.model import CheckResult, Outcome, PrecheckReport
from workers.checks.runner import run_prechecks
from workers.cloud import CloudClients
from workers.cloud.ack import LIST_ACTION
from workers.cloud.models import ClusterDetail
from workers.config import Settings
from workers.context import Context
from workers.errors import CloudError, Conflict, NotFound
from workers.fleet.locate import NotLocated, fleet_configured, locate

_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z0-9]+)+$")

_LABELS = {
    Outcome.PASS: "PASS ",
    Outcome.WARN: "WARN ",
    Outcome.FAIL: "FAIL ",
    Outcome.ERROR: "ERROR",
    Outcome.INFO: "INFO ",
    Outcome.SKIP: "SKIP ",
}


def run_precheck(
    settings: Settings,
    *,
    cluster: str,
    bucket: str | None,
    region: str | None,
    as_json: bool,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    if bucket is not None and (problem := bucket_name_problem(bucket)):
        print(f"ackmigrate precheck: {problem}", file=err)
        return EXIT_USAGE
    if region is not None and not _REGION_RE.match(region):
        print(
            f"ackmigrate precheck: --region must be a region id like cn-hangzhou (got {region!r})", file=err
        )
        return EXIT_USAGE
    try:
        clients, detail = _where(settings, cluster, region)
    except NotLocated as refused:
        print(f"ackmigrate precheck: {refused}", file=err)
        return EXIT_USAGE
    except CloudError as error:
        print(f"ackmigrate precheck: could not read cluster {cluster}: {error}", file=err)
        return EXIT_FAILED
    print(f"Checking {cluster} in {clients.region}…", file=err)
    try:
        report = run_prechecks(
            clients, settings, cluster=cluster, bucket=bucket, on_result=lambda r: _progress(r, err), detail=detail
        )
    except (NotFound, Conflict) as error:
        if error.service != "ack" or error.action != LIST_ACTION:
            raise
        print(f"ackmigrate precheck: {error.message}", file=err)
        return EXIT_USAGE
    except CloudError as error:
        print(f"ackmigrate precheck: could not read cluster {cluster}: {error}", file=err)
        return EXIT_FAILED
    if as_json:
        print(json.dumps(report.to_dict(), indent=2), file=out)
    else:
        print(format_report(report), file=out)
    return EXIT_FAILED if report.verdict is Outcome.FAIL else EXIT_OK


def _where(settings: Settings, cluster: str, region: str | None) -> tuple[CloudClients, ClusterDetail | None]:
    """The clients to check with, and the cluster when it had to be found first. `--region`, or no fleet
    configured: that region with the bot's own credentials, the cluster found by the checks as always.
    Otherwise the cluster is looked for in every configured account and region (workers.fleet.locate)."""
    if region is not None or not fleet_configured(settings):
        return CloudClients.from_settings(settings, region), None
    located = locate(Context.build(settings), cluster)
    return located.clouds, located.detail


def _progress(check: CheckResult, err: TextIO) -> None:
    print(f"  {_LABELS[check.outcome].strip().lower():5} {check.id}", file=err, flush=True)


def format_report(report: PrecheckReport) -> str:
    """The checklist as an operator reads it: cluster facts, one block per check, the verdict."""
    lines = [
        f"Cluster {report.cluster_name} ({report.cluster_id}) in {report.region_id}",
        f"  Kubernetes {report.current_version} · {report.cluster_type} {report.cluster_spec}".rstrip()
        + f" · {report.state}",
        f"  {_count(report.master_count, 'master')}, {_count(report.worker_count, 'worker')}",
    ]
    if report.bucket:
        lines.append(f"  Bucket {report.bucket} via {report.bucket_endpoint}")
    for master in report.masters:
        lines.append(
            f"  Master {master.node_name} {master.instance_id} ({master.charge_type or 'charge unknown'})"
        )
    lines.append("")
    for check in report.checks:
        lines.append(f"{_LABELS[check.outcome]}  {check.id:<16} {check.title}")
        lines.append(f"       {check.summary}")
        if check.fix:
            lines.append(f"       Fix: {check.fix}")
        if check.doc_url:
            lines.append(f"       Doc: {check.doc_url}")
    lines.append("")
    lines.append(_verdict_line(report))
    return "\n".join(lines)


def _count(value: int | None, noun: str) -> str:
    if value is None:
        return f"{noun}s unknown"
    return f"{value} {noun}{'' if value == 1 else 's'}"


def _verdict_line(report: PrecheckReport) -> str:
    verdict = report.verdict
    skipped = [check.id for check in report.checks if check.outcome is Outcome.SKIP]
    if verdict is Outcome.FAIL:
        blocking = ", ".join(check.id for check in report.blocking)
        # Skipped checks are named so a reader of the last line alone does not take them for passes.
        moot = f"; not applicable: {', '.join(skipped)}" if skipped else ""
        return f"Verdict: FAIL — blocked by {blocking}{moot}"
    if verdict is Outcome.WARN:
        warned = ", ".join(check.id for check in report.checks if check.outcome is Outcome.WARN)
        return f"Verdict: WARN — ready to migrate; read the warnings first ({warned})"
    return "Verdict: PASS — ready to migrate"
