"""Where verification meets the rest: the runbook's success path, `/ackmigrate verify`, `ackmigrate verify`
(cli.verify).

The runbook calls `baseline_before_migration` just before its fence (what to compare with afterwards, kept
in the record) and `verify_migrated` once ACK's task has succeeded and before the success is announced.
`verify_migrated` runs at most once per request: the report and its thread reply are saved in one write,
and a rerun after a crash finds the saved report and posts nothing again.
"""

from __future__ import annotations

from dataclasses import replace

from workers.cloud import CloudClients
from workers.config import Settings
from workers.context import Context
from workers.domain.records import Record
from workers.domain.results import Baseline, VerificationReport
from workers.domain.workflows import MIGRATION
from workers.errors import CloudError, Throttled, Unavailable
from workers.fleet.locate import Located
from workers.notify import announce
from workers.requests import (  # the interactive jobs' own way to resolve and answer privately
    _resolve,
    tell_privately,
)
from workers.store import Reply
from workers.ui import private_answers
from workers.ui.thread_replies import verification_reply
from workers.verification import (
    CanarySettings,
    canary_namespace,
    default_canary_image,
    take_baseline,
    unreachable_report,
    verify_cluster,
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def baseline_before_migration(clouds: CloudClients, record: Record) -> Baseline:
    """The result's `baseline`: the API server address and kube-system's available Deployments."""
    return take_baseline(clouds.kube_for(record.cluster_id))


def verify_migrated(ctx: Context, clouds: CloudClients, record: Record) -> Record:
    """Verify a migration ACK reports done; save the report with its one thread reply; return the record."""
    result = record.migration_result
    if result.verification is not None:
        return record  # verified before a crash: the reply was saved with it
    report = _verify(ctx.settings, clouds, cluster_id=record.cluster_id, cluster_name=record.cluster_name,
                     migration=record, namespace_suffix=record.id)
    message = verification_reply(report)
    saved = ctx.store.update(record.id, result=replace(result, verification=report),
                             reply=Reply(message.text, message.blocks))
    ctx.audit.append("verified", record_id=record.id, cluster_id=record.cluster_id,
                     cluster_name=record.cluster_name, outcome="ok" if report.verified else "failed",
                     failed=",".join(c.id for c in report.failures))
    announce(ctx, record.id)
    return saved


def verify_for_user(ctx: Context, *, cluster_ref: str, user: str, channel: str, response_url: str | None) -> None:
    """`/ackmigrate verify CLUSTER`: the same checks, answered privately; nothing is recorded or posted."""
    located = _resolve(ctx, cluster_ref, channel=channel, user=user, response_url=response_url)
    if located is None:
        return
    detail = located.detail
    try:
        report = _verify(ctx.settings, located.clouds, cluster_id=detail.cluster_id,
                         cluster_name=detail.name, migration=_last_migration(ctx, detail.cluster_id))
    except CloudError as error:
        tell_privately(ctx, channel, user, response_url, private_answers.verification_could_not_run(detail.name, error))
        return
    ctx.audit.append("verified", actor=user, cluster_id=detail.cluster_id, cluster_name=detail.name,
                     outcome="ok" if report.verified else "failed", failed=",".join(c.id for c in report.failures))
    tell_privately(ctx, channel, user, response_url, verification_reply(report))


def verify_now(ctx: Context, located: Located) -> VerificationReport:
    """`ackmigrate verify` (cli.verify): the checks against the cluster's last migration, recording nothing."""
    detail = located.detail
    return _verify(ctx.settings, located.clouds, cluster_id=detail.cluster_id,
                   cluster_name=detail.name, migration=_last_migration(ctx, detail.cluster_id))


def _verify(
    settings: Settings, clouds: CloudClients, *, cluster_id: str, cluster_name: str, migration: Record | None,
    namespace_suffix: str | None = None,
) -> VerificationReport:
    """One verification; `migration` (the cluster's migration record, if any) gives the baseline and masters."""
    baseline = migration.migration_result.baseline if migration is not None else None
    report = migration.precheck if migration is not None else None
    masters = {m.node_name for m in (report.masters if report else ()) if m.node_name}
    canary = CanarySettings(image=settings.canary_image or default_canary_image(clouds.region),
                            timeout_s=settings.canary_timeout_s, namespace=canary_namespace(namespace_suffix))
    try:
        kube = clouds.kube_for(cluster_id)
    except (Unavailable, Throttled):
        raise  # passing: the runbook polls again, the commands say so
    except CloudError as error:
        return unreachable_report(cluster_id=cluster_id, cluster_name=cluster_name, error=error)
    return verify_cluster(kube, cluster_id=cluster_id, cluster_name=cluster_name,
                          baseline=baseline, old_masters=masters, precheck=report, canary=canary)


def _last_migration(ctx: Context, cluster_id: str) -> Record | None:
    """The cluster's newest succeeded migration: its baseline and old masters are what to compare with."""
    return ctx.store.last_succeeded(cluster_id, MIGRATION)
