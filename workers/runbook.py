"""The migration runbook: re-check, grant, call MigrateCluster exactly once, follow the task to its end.

Each step is a short function over a `Context` and a record id; none holds a worker for the length of
a migration. Every change is written to the record (with its thread reply, in the same write) before
Slack is told, through `notify.announce`.

Exactly once. MigrateCluster cannot be rolled back, so it is called at most once per approved request:
- the job owns the record's lease (workers.lease) while it works, so a duplicate job steps aside;
- before the call, an atomic Redis fence (SET NX, never expiring) is taken and `migrate_called_at`
  is saved; whoever finds either set knows the call may have happened, and looks for the task
  (DescribeClusterTasks: a task of that cluster created after the call) instead of ever calling again;
- a call that timed out is treated the same way: it may have reached ACK.

Neither the cluster state `migrating` nor a task type is documented for the migration (the
DescribeClusterDetail state list and DescribeTaskInfo's task types do not name them), so nothing here
waits for either: a task is found by its cluster and creation time, and any task state other than the
documented `success` and `fail` counts as still in progress (bounded by ACKMIGRATE_MIGRATION_TIMEOUT).
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import replace
from typing import Any

from workers import terway_plan, terway_steps, verifying, wave_engine
from workers.ack_times import ack_time
from workers.checks.bucket_checks import migrate_bucket_endpoint
from workers.checks.cluster_checks import is_pro_spec
from workers.checks.model import PrecheckReport
from workers.checks.policy import GrantImpossible
from workers.checks.runner import run_prechecks
from workers.cloud import CloudClients
from workers.cloud.models import ClusterDetail, ClusterTask, TaskInfo, TaskStage
from workers.context import Context
from workers.domain.freeze import Freeze
from workers.domain.jobs import Job
from workers.domain.records import Record, State
from workers.domain.results import BlockedAtStart, OldMaster, StageSeen
from workers.domain.workflows import MIGRATION
from workers.errors import CloudError, Throttled, Unavailable
from workers.grant import grant_bucket_to_master_role
from workers.lease import LeaseHeld
from workers.notify import announce
from workers.redis_connection import NotReplicated, replicas_to_wait_for, write_durably
from workers.store import Reply
from workers.ui import reasons, thread_replies

log = logging.getLogger(__name__)

MIGRATION_STAGES = 5
"""ACK's dedicated → Pro migration reports five stages (PreCheck … PostCheck); shown as n/5."""

_FENCE = "ackmigrate:migrate-fence:"
_CLOCK_SKEW_S = 600.0  # ACK's clock and ours may disagree; a task this much older still counts
_SUCCESS, _FAILED = "success", ("fail", "failed")  # DescribeTaskInfo's documented end states (and a spelling)
# Cluster states in which nothing is happening to the cluster (DescribeClusterDetail's documented list);
# any other state, `migrating` or one not documented at all, means ACK may still be working on it.
_SETTLED_STATES = frozenset(
    {"running", "failed", "delete_failed", "deleted", "inactive", "unavailable", "disconnected"}
)
_BEGUN_STAGE_STATES = frozenset({"running", "success", "succeeded", "fail", "failed"})


def run_migration(ctx: Context, record_id: str, *, owner: str) -> None:
    """An approved migration: re-check, grant if allowed, fence, call MigrateCluster, start following."""
    record = ctx.store.get(record_id)
    if record.workflow is not MIGRATION:
        raise ValueError(f"request {record_id} is a {record.kind} request, not a migration")
    if record.state not in (State.APPROVED, State.MIGRATING):
        log.info("request %s is %s: nothing to migrate", record_id, record.state)
        return
    try:
        with ctx.leases.held(record_id, owner):
            _migrate(ctx, record_id, owner)
    except LeaseHeld as held:
        log.info("%s; this duplicate run leaves it alone", held)


def follow_migration(ctx: Context, record_id: str, *, owner: str) -> None:
    """One poll of a started migration; reschedules itself until the task ends."""
    try:
        with ctx.leases.held(record_id, owner):
            record = ctx.store.get(record_id)
            if record.terminal:
                ctx.leases.release(record_id, owner)
                return
            _follow(ctx, record, owner)
    except LeaseHeld as held:
        log.info("%s; this duplicate poll leaves it alone", held)


# --- starting ------------------------------------------------------------------------------------------


def _migrate(ctx: Context, record_id: str, owner: str) -> None:
    record = ctx.store.get(record_id)  # again, under the lease: a duplicate may have moved it on
    if record.terminal:
        ctx.leases.release(record_id, owner)
        return
    if record.state is State.MIGRATING or record.migrate_called_at is not None or _fenced(ctx, record_id):
        _follow(ctx, record, owner)
        return
    freeze = ctx.freezes.current()
    if freeze is not None:
        _hold(ctx, record, owner, freeze)
        return
    clouds = ctx.clouds_for(record)
    try:
        report = run_prechecks(clouds, ctx.settings, cluster=record.cluster_id, bucket=record.bucket)
        if report.blocking:
            first = report.blocking[0]
            blocker = BlockedAtStart(first.id, f"{first.title}: {first.summary}") if record.wave else None
            _fail(ctx, record, owner, reasons.blocked_before_call(report.blocking), precheck=report, blocker=blocker)
            return
        grant_note = grant_bucket_to_master_role(ctx, clouds, record, report)
        baseline = verifying.baseline_before_migration(clouds, record)  # compared with after the migration
        if terway_plan.applies(ctx.settings, report):
            terway_steps.before_migration(ctx, clouds.kube_for(record.cluster_id), record)
    except (Unavailable, Throttled) as error:
        # Nothing was started yet, so trying again later is safe; the timeout bounds the retries.
        if _timed_out(ctx, replace(record, started_at=record.decided_at)):
            _fail(ctx, record, owner, reasons.cloud_unavailable_before_start(error))
            return
        log.warning("request %s: %s; trying again later", record_id, error)
        schedule_next(ctx, Job.RUN_MIGRATION, record_id, owner)
        return
    except CloudError as error:
        _fail(ctx, record, owner, reasons.preparing_failed(error))
        return
    except GrantImpossible as error:
        reason, next_step = reasons.grant_impossible(error)
        _fail(ctx, record, owner, reason, next_step=next_step)
        return
    try:
        (passed,) = write_durably(ctx.redis, replicas_to_wait_for(ctx.settings),
                                  lambda pipe: pipe.set(_FENCE + record_id, ctx.worker_id, nx=True))
    except NotReplicated as error:
        # The fence may not survive a failover under way: take it back and pass it again later, rather
        # than call MigrateCluster with a fence a new master might not have.
        ctx.redis.delete(_FENCE + record_id)
        log.warning("request %s: the fence was not replicated (%s); trying again later", record_id, error)
        schedule_next(ctx, Job.RUN_MIGRATION, record_id, owner)
        return
    if not passed:
        _follow(ctx, ctx.store.get(record_id), owner)  # someone else passed the fence first
        return
    record = ctx.store.update(
        record_id,
        precheck=report,
        result=replace(record.migration_result, baseline=baseline),
        migrate_called_at=time.time(),
        reply=Reply(thread_replies.prechecks_rerun(grant_note)),
    )
    announce(ctx, record_id)
    _call_migrate(ctx, clouds, record, report, owner)


def _call_migrate(
    ctx: Context, clouds: CloudClients, record: Record, report: PrecheckReport, owner: str
) -> None:
    bucket = str(record.bucket)
    endpoint = report.bucket_endpoint or migrate_bucket_endpoint(bucket=bucket, region=record.region)
    try:
        started = clouds.ack.migrate_cluster(record.cluster_id, bucket=bucket, bucket_endpoint=endpoint)
    except Unavailable as error:
        if not is_whitelist_refusal(error):
            # The request may have reached ACK: never call again; look for the task on the next poll.
            _audit_call(ctx, record, "MigrateCluster", error.request_id, outcome="unknown", error=str(error))
            schedule_follow(ctx, record.id, owner)
            return
        _audit_call(ctx, record, "MigrateCluster", error.request_id, outcome="error", error=str(error))
        reason, next_step = _refusal(record, error)
        _fail(ctx, record, owner, reason, next_step=next_step)
        return
    except CloudError as error:
        _audit_call(ctx, record, "MigrateCluster", error.request_id, outcome="error", error=str(error))
        reason, next_step = _refusal(record, error)
        _fail(ctx, record, owner, reason, next_step=next_step)
        return
    _audit_call(ctx, record, "MigrateCluster", started.request_id, task_id=started.task_id)
    ctx.store.transition(
        record.id,
        State.MIGRATING,
        task_id=started.task_id,
        started_at=time.time(),
        stage_total=MIGRATION_STAGES,
        reply=Reply(thread_replies.migrate_accepted(started.task_id)),
    )
    announce(ctx, record.id)
    schedule_follow(ctx, record.id, owner)


def _hold(ctx: Context, record: Record, owner: str, freeze: Freeze) -> None:
    """A freeze is in force and MigrateCluster has not been called: wait, and look again in a poll interval
    (or when the freeze ends, if sooner). The thread is told once; the audit says so once."""
    if record.migration_result.held_by_freeze is None:
        ctx.store.update(record.id, result=replace(record.migration_result, held_by_freeze=freeze.at.timestamp()),
                         reply=Reply(thread_replies.held_by_freeze(freeze)))
        ctx.audit.append("migration_held", actor=freeze.by, record_id=record.id, cluster_id=record.cluster_id,
                         cluster_name=record.cluster_name, reason=freeze.reason, wave=record.wave)
        announce(ctx, record.id)
    delay = ctx.settings.poll_interval_s
    if freeze.until is not None:
        delay = min(delay, max(0.0, freeze.until.timestamp() - time.time()))
    schedule_next(ctx, Job.RUN_MIGRATION, record.id, owner, delay_s=delay)




# --- following -------------------------------------------------------------------------------------------


def _follow(ctx: Context, record: Record, owner: str) -> None:
    clouds = ctx.clouds_for(record)
    try:
        if record.task_id is None:
            found = _recover_task(ctx, clouds, record, owner)
            if found is None:
                return
            record = found
        if _timed_out(ctx, record):
            _fail(ctx, record, owner, _timeout_reason(ctx, record), undo=False)
            return
        task = clouds.ack.describe_task(str(record.task_id))
        record = tell_stages(ctx, record, task)
        state = task.state.strip().lower()
        if state == _SUCCESS:
            _verify_success(ctx, clouds, record, owner)
        elif state in _FAILED:
            reason, cluster_state = _task_failure(clouds, record, task)
            _fail(ctx, record, owner, reason, cluster_state=cluster_state)
        else:
            schedule_follow(ctx, record.id, owner)  # `running`, or a state not documented: still going
    except (Unavailable, Throttled) as error:
        log.warning("request %s: %s; polling again later", record.id, error)
        schedule_follow(ctx, record.id, owner)
    except CloudError as error:
        reason, next_step = reasons.stopped_following(error, record.task_id)
        _fail(ctx, record, owner, reason, undo=False, next_step=next_step)


def _recover_task(ctx: Context, clouds: CloudClients, record: Record, owner: str) -> Record | None:
    """The call may have happened (a crash or a timeout after the fence): find its task, never call again."""
    called_at = record.migrate_called_at or time.time()
    found = migration_task(clouds.ack.list_cluster_tasks(record.cluster_id), called_at=called_at)
    if found is not None:
        changes: dict[str, Any] = {"task_id": found.task_id, "started_at": called_at,
                                   "stage_total": MIGRATION_STAGES}
        reply = Reply(thread_replies.migrate_accepted(found.task_id, found_after_restart=True))
        if record.state is State.APPROVED:
            saved = ctx.store.transition(record.id, State.MIGRATING, reply=reply, **changes)
        else:
            saved = ctx.store.update(record.id, reply=reply, **changes)
        announce(ctx, record.id)
        return saved
    detail = clouds.ack.describe_cluster(record.cluster_id)
    waited = time.time() - called_at
    busy = detail.state.strip().lower() not in _SETTLED_STATES
    if (busy and waited < ctx.settings.migration_timeout_s) or waited < _recovery_grace_s(ctx):
        schedule_follow(ctx, record.id, owner)  # ACK may list the task a little later
        return None
    reason, next_step = reasons.never_accepted(record.cluster_name, waited)
    _fail(ctx, record, owner, reason, cluster_state=detail.state, next_step=next_step)
    return None


def migration_task(tasks: list[ClusterTask], *, called_at: float) -> ClusterTask | None:
    """The task our MigrateCluster call created: one of the cluster's tasks created after the call (less
    the clock skew). Without a documented task type for the migration, a type that names a migration is
    only preferred, then the task created closest to the call."""
    after = [t for t in tasks if (ack_time(t.created) or 0.0) >= called_at - _CLOCK_SKEW_S]
    if not after:
        return None
    return min(after, key=lambda t: ("migrat" not in t.task_type.lower(),
                                     abs((ack_time(t.created) or 0.0) - called_at)))


def stages_begun(stages: tuple[TaskStage, ...]) -> int:
    """How many stages have begun, read from each stage's own fields: ACK may list only the stages that
    began or every stage from the start (the later ones with no start time and a waiting state)."""
    begun = [
        index for index, stage in enumerate(stages)
        if stage.start_time.strip() or stage.end_time.strip() or stage.state.strip().lower() in _BEGUN_STAGE_STATES
    ]
    return begun[-1] + 1 if begun else 0


def tell_stages(ctx: Context, record: Record, task: TaskInfo) -> Record:
    """One record update (and one thread reply) per stage newly started, in order, none repeated, none skipped.

    Each next stage is decided on the saved record (`RecordStore.revise`), not on `record`, this job's copy:
    after an unplanned Sentinel failover that copy can be the demoted master's, already at stage 5, while the
    new master lost those writes and is still at stage 2 — deciding on the copy told stages 3–5 to nobody."""
    reached = min(stages_begun(task.stages), MIGRATION_STAGES)
    while (advanced := ctx.store.revise(record.id, lambda current: _next_stage(current, task, reached))) is not None:
        record = advanced
        announce(ctx, record.id)
    return record


def _next_stage(current: Record, task: TaskInfo, reached: int) -> tuple[Record, Reply] | None:
    """The record one stage further, with its thread reply; None once it has told every stage `reached`."""
    number = current.stage + 1
    if number > reached:
        return None
    stage = task.stages[number - 1]
    name = stage.message or task.current_stage
    moment = StageSeen(stage=number, name=name, seen_at=time.time(), started_at=ack_time(stage.start_time))
    result = current.migration_result
    advanced = replace(current, stage=number, stage_name=name, stage_total=MIGRATION_STAGES,
                       result=replace(result, timeline=(*result.timeline, moment)))
    return advanced, Reply(thread_replies.stage_reply(advanced))


def _verify_success(ctx: Context, clouds: CloudClients, record: Record, owner: str) -> None:
    """The task says success: believe it when the cluster is Pro and the old masters have gone Unknown."""
    detail = clouds.ack.describe_cluster(record.cluster_id)
    if not _is_pro(detail):
        schedule_follow(ctx, record.id, owner)  # the detail may lag the task briefly
        return
    precheck = record.precheck
    master_names = {m.node_name for m in precheck.masters} if precheck else set()
    kube_nodes = {node.name: node for node in clouds.kube_for(record.cluster_id).list_nodes()}
    still_ready = [name for name in master_names if name in kube_nodes and kube_nodes[name].ready == "True"]
    if still_ready:
        schedule_follow(ctx, record.id, owner)
        return
    billed = tuple(
        OldMaster(instance_id=n.instance_id, node_name=n.node_name, charge_type=n.charge_type,
                  ready=kube_nodes[n.node_name].ready if n.node_name in kube_nodes else "gone")
        for n in clouds.ack.list_nodes(record.cluster_id) if n.is_master
    )
    terway_steps.after_success(ctx, clouds.kube_for(record.cluster_id), record)
    record = verifying.verify_migrated(ctx, clouds, record)  # its one thread reply, before the result
    finished = time.time()
    result = replace(
        record.migration_result,
        cluster_spec=detail.cluster_spec,
        duration_s=round(finished - (record.started_at or finished)),
        masters=billed,
        cgpu=precheck.cgpu if precheck else "",
        addons=precheck.addons if precheck else (),
    )
    done = replace(record, state=State.SUCCEEDED, finished_at=finished, result=result)
    message = thread_replies.success_reply(done)
    saved = ctx.store.transition(
        record.id, State.SUCCEEDED, finished_at=finished, result=result,
        reply=Reply(message.text, message.blocks, broadcast=True),
    )
    ctx.leases.release(record.id, owner)
    announce(ctx, record.id)
    wave_engine.migration_ended(ctx, saved)


# --- ending ------------------------------------------------------------------------------------------------


def _fail(
    ctx: Context,
    record: Record,
    owner: str,
    reason: str,
    *,
    next_step: str | None = None,
    cluster_state: str | None = None,
    undo: bool = True,
    blocker: BlockedAtStart | None = None,
    **changes: Any,
) -> None:
    """End the request `failed` with the reason in the thread (also broadcast: people must see it).

    Steps done around the migration (terway) are undone first, unless `undo` is off: after a timeout ACK may
    still be working, and putting terway back under a migration in progress would be the wrong guess."""
    if undo:
        reason += _undo_steps(ctx, record)
    finished = time.time()
    typed = record.migration_result
    failure = replace(typed.failure, next_step=next_step or typed.failure.next_step,
                      cluster_state=cluster_state or typed.failure.cluster_state)
    result = replace(typed, failure=failure, blocker=blocker if blocker is not None else typed.blocker)
    ended = replace(record, state=State.FAILED, reason=reason, finished_at=finished, result=result, **changes)
    message = thread_replies.failure_reply(ended)
    saved = ctx.store.transition(
        record.id, State.FAILED, reason=reason, finished_at=finished, result=result,
        reply=Reply(message.text, message.blocks, broadcast=True), **changes,
    )
    ctx.leases.release(record.id, owner)
    announce(ctx, record.id)
    wave_engine.migration_ended(ctx, saved)


def _undo_steps(ctx: Context, record: Record) -> str:
    """Put back what the steps before the migration changed; what was done, in words for the reason."""
    try:
        return terway_steps.undo(ctx, ctx.clouds_for(record).kube_for(record.cluster_id), record)
    except CloudError as error:
        return reasons.terway_not_restored(error)


def is_whitelist_refusal(error: CloudError) -> bool:
    """The account is not whitelisted for the migration. ACK documents no code for it and spells it
    several ways (Alibaba often writes "WhiteList"), so any casing, in the code or the message, at any
    HTTP status."""
    return "whitelist" in f"{error.code} {error.message}".lower().replace(" ", "").replace("-", "")


def _refusal(record: Record, error: CloudError) -> tuple[str, str]:
    """Why ACK refused MigrateCluster, and what to do (the whitelist refusal in plain words); every
    refusal names ACK's code, message and request id."""
    return reasons.refused(record.cluster_name, code=error.code, message=error.message,
                           http_status=error.http_status, request_id=error.request_id,
                           not_whitelisted=is_whitelist_refusal(error))


def _task_failure(clouds: CloudClients, record: Record, task: TaskInfo) -> tuple[str, str]:
    """ACK's own error for the failed task, and the cluster state it left behind."""
    try:
        state = clouds.ack.describe_cluster(record.cluster_id).state
    except CloudError as describe_error:
        state = reasons.state_unknown(describe_error)
    stage = record.stage_name or task.current_stage
    return reasons.task_failed(task.task_id, stage, task.error_code, task.error_message), state


def _timeout_reason(ctx: Context, record: Record) -> str:
    hours = ctx.settings.migration_timeout_s / 3600
    return reasons.timed_out(hours, record.stage_name)


def _timed_out(ctx: Context, record: Record) -> bool:
    started = record.started_at or record.migrate_called_at
    return started is not None and time.time() - started > ctx.settings.migration_timeout_s


# --- scheduling ---------------------------------------------------------------------------------------------


def schedule_follow(ctx: Context, record_id: str, owner: str) -> None:
    """The next poll, one poll interval from now."""
    schedule_next(ctx, Job.FOLLOW_MIGRATION, record_id, owner)


def schedule_next(ctx: Context, job: Job, record_id: str, owner: str, *, delay_s: float | None = None) -> None:
    """Hand the lease to the next job, then schedule it: a lost job lets the lease lapse for the
    reconciler; a stale duplicate finds the lease held by another job id and steps aside."""
    delay = ctx.settings.poll_interval_s if delay_s is None else delay_s
    successor = uuid.uuid4().hex
    ttl_ms = int((delay + ctx.timing.poll_grace_s) * 1000)
    if not ctx.leases.hand_over(record_id, owner, successor, ttl_ms=ttl_ms):
        log.warning("request %s: lease lost before the next job was scheduled; its holder goes on", record_id)
        return
    ctx.queues.schedule(job, record_id, delay_s=delay, job_id=successor)


def _recovery_grace_s(ctx: Context) -> float:
    return max(60.0, 4 * ctx.settings.poll_interval_s)


def _fenced(ctx: Context, record_id: str) -> bool:
    return bool(ctx.redis.exists(_FENCE + record_id))


def _is_pro(detail: ClusterDetail) -> bool:
    return detail.cluster_type == "ManagedKubernetes" and is_pro_spec(detail.cluster_spec)


def _audit_call(
    ctx: Context, record: Record, action: str, request_id: str, *, outcome: str = "ok", **details: str
) -> None:
    fields: dict[str, Any] = {"action": action, "request_id": request_id, "cluster_name": record.cluster_name}
    fields.update(details)
    ctx.audit.append("cloud_call", record_id=record.id, cluster_id=record.cluster_id, outcome=outcome, **fields)
