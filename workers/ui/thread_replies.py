"""The thread under a request message: one reply per event, in order, some also broadcast to the channel.

Each function returns what to post; the caller saves it with the record's change (`workers.store.Reply`),
so the reply and the change are one write. Nothing here is told to one person only (`private_answers`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from slack_sdk.models.blocks import Block

from workers import mrkdwn
from workers.checks.model import name_list, shorten
from workers.domain.freeze import Freeze
from workers.domain.records import Record, State
from workers.domain.results import Failure, VerificationReport
from workers.domain.workflows import CLEANUP, MIGRATION, Workflow
from workers.ui import clock
from workers.ui.checklist import checklist, fix_text, follow_ups, ordered, precheck_of, tally
from workers.ui.kit import Message, plural, render, section
from workers.ui.request_message import CONSOLE_RELEASE_DOC, cleanup_button, masters_billing, offers_cleanup
from workers.ui.words import charge_words, wording

# -- deciding -----------------------------------------------------------------------------------------------


def approval_reply(record: Record) -> str:
    """An approval as counted: "1 of 2" until the last one, which queues the job."""
    latest = mrkdwn.user(record.approvals[-1].user)
    if record.approvals_required == 1:
        return f":white_check_mark: {latest} approved. Queued."
    count = f"{len(record.approvals)} of {record.approvals_required}"
    if record.state is State.APPROVED:
        return f":white_check_mark: {latest} approved ({count}). Queued."
    return (f":white_check_mark: {latest} approved ({count}); waiting for "
            f"{plural(record.approvals_required - len(record.approvals), 'more approver')}.")


def rejected(user: str, reason: str | None) -> str:
    """A rejection, with the reason typed in the dialog so the requester knows what to fix."""
    if reason:
        return f":x: {mrkdwn.user(user)} rejected: {mrkdwn.escape(reason)}"
    return f":x: {mrkdwn.user(user)} rejected this request."


def cancelled(user: str) -> str:
    return f":no_entry_sign: {mrkdwn.user(user)} cancelled this request."


def expired() -> str:
    """A request nobody decided in time — the same words whether a click or the reconciler found it."""
    return "⌛ Nobody approved or rejected this in time; the request has expired."


NO_PRECHECKS_SHOWN = "the request showed no prechecks"
"""The change an approval finds when the request it was given on showed no precheck report at all."""


def precheck_changed(changes: Sequence[str], *, blocked: bool) -> str:
    """An approval found the cluster no longer as the request shows it."""
    listed = "\n".join(f"• {mrkdwn.escape(change)}" for change in changes)
    if blocked:
        return (f"⛔ The prechecks re-run at approval now block this migration:\n{listed}\n"
                "The request is closed. Fix the failures and run /ackmigrate migrate again.")
    return (f"🔄 The cluster changed since this request was posted:\n{listed}\n"
            "The checklist above is refreshed; approvals given so far no longer count. "
            "Review it and approve again.")


# -- the migration ------------------------------------------------------------------------------------------


def prechecks_rerun(grant_note: str) -> str:
    """Just before MigrateCluster: the prechecks passed again, and what was done about the bucket grant."""
    return f"Prechecks re-run: all passed. {grant_note}"


def migrate_accepted(task_id: str, *, found_after_restart: bool = False) -> str:
    """MigrateCluster took the request; `found_after_restart`: its task was looked up after a crash."""
    found = " (found after a restart)" if found_after_restart else ""
    return f"MigrateCluster accepted — task {mrkdwn.code(task_id)}{found}."


def held_by_freeze(freeze: Freeze) -> str:
    """Said once in the thread of an approved migration a freeze holds before MigrateCluster."""
    until = f" until {clock.at(freeze.until.timestamp())}" if freeze.until else " until someone runs `/ackmigrate unfreeze`"
    reason = f" ({mrkdwn.escape(freeze.reason)})" if freeze.reason else ""
    return (f":snowflake: Held: <@{freeze.by}> froze all starts{reason}. MigrateCluster has not been called; "
            f"this migration starts by itself once the freeze is lifted{until}.")


def stage_reply(record: Record) -> str:
    """One thread line per stage change, as ACK names the stage."""
    name = mrkdwn.escape(record.stage_name) if record.stage_name else "in progress"
    line = f"Stage {record.stage}/{record.stage_total}: {name}" if record.stage_total else name
    if _control_plane_moving(record.stage_name):
        line += " (API server unavailable now)"
    return line


def _control_plane_moving(stage_name: str | None) -> bool:
    """The stage that takes the API server away is the one *migrating* the control plane; the stages after
    it also mention the control plane, and ACK's own text may already say the API server is down."""
    lowered = (stage_name or "").lower()
    return "migrat" in lowered and "control plane" in lowered and "unavailable" not in lowered


def success_reply(record: Record) -> Message:
    """The result, in the thread and broadcast to the channel, with what is left to do."""
    return _SUCCESS[record.workflow](record)


def _migration_success(record: Record) -> Message:
    name = mrkdwn.escape(record.cluster_name)
    took = clock.took(record.started_at, record.finished_at)
    result = record.migration_result
    spec = result.cluster_spec or "ack.pro.small"
    head = f"✅ {name} is now ACK Pro ({mrkdwn.escape(spec)}){took}."
    if result.verification is not None:
        head = _verified_head(name, spec, took, result.verification)
    report = precheck_of(record)
    steps = [fix_text(check) for check in follow_ups(report)]
    steps.append(masters_billing(report))
    text = "\n".join([head, *(f"• {step}" for step in steps)])
    blocks: list[Block] = [section(head), section("*Next:*\n" + "\n".join(f"• {s}" for s in steps))]
    if offers_cleanup(record):
        blocks.append(cleanup_button(record))
    return Message(text=text, blocks=render(blocks))


def verification_reply(report: VerificationReport) -> Message:
    """The thread's one verification reply (and `/ackmigrate verify`'s private answer): the checks as a
    checklist like the precheck's, the follow-ups as done or to do, and the verdict."""
    name = mrkdwn.escape(report.cluster_name)
    checks = ordered(report.checks)
    failed = report.failures
    blocks: list[Block] = [section(f"*Verification of {name}*  {tally(checks)}"), *checklist(checks)]
    if report.follow_ups:
        shown = [("✅ done" if f.outcome == "pass" else "📝 to do") + f" — *{mrkdwn.escape(f.title)}*: "
                 + fix_text(f, with_fix=False) for f in report.follow_ups]
        blocks.append(section("*Follow-ups*\n" + "\n".join(shown)))
    verdict = (f"❌ Verification failed: {plural(len(failed), 'check')} above. The migration itself is done "
               "and cannot be undone; fix what is listed, then run `/ackmigrate verify` again."
               if failed else "✅ Verified: the API server, the nodes, kube-system and a canary pod all work.")
    blocks.append(section(verdict))
    text = f"Verification of {name}: {'failed' if failed else 'verified'} ({tally(checks)})"
    return Message(text=text, blocks=render(blocks))


def _verified_head(name: str, spec: str, took: str, verification: VerificationReport) -> str:
    """The broadcast's first line: verified, or migrated but not verified — never "can be undone"."""
    failed = verification.failures
    if not failed:
        return f"✅ {name} is now ACK Pro ({mrkdwn.escape(spec)}){took}, and verified."
    what = "; ".join(f"{mrkdwn.escape(c.title)}: {mrkdwn.escape(shorten(c.summary))}" for c in failed)
    return (f"⚠️ {name} is migrated to ACK Pro ({mrkdwn.escape(spec)}){took}, but verification failed: {what}\n"
            "The migration cannot be undone. *Next:* fix what the verification reply in this thread lists, then "
            "run `/ackmigrate verify` again.")


def failure_reply(record: Record) -> Message:
    """What failed, what state the cluster is in, and the one next step — in the thread and the channel."""
    failure = record.result.failure if record.result is not None else Failure()
    name = mrkdwn.escape(record.cluster_name)
    where = f" at stage {record.stage}/{record.stage_total}" if record.stage_total else ""
    reason = mrkdwn.escape(record.reason or "no reason was recorded")
    shown = [f"❌ {wording(record).title} of {name} failed{where}: {reason}"]
    touched = record.migrate_called_at is not None or record.started_at is not None
    if touched:
        if failure.cluster_state:
            shown.append(f"The cluster state is {mrkdwn.code(failure.cluster_state)}.")
        shown.append("Nothing was rolled back by ackmigrate (it cannot be).")
    else:
        shown.append("Nothing was changed on the cluster.")
    if failure.next_step:
        next_step = mrkdwn.escape(failure.next_step)
    elif not touched:
        next_step = f"fix the cause above and run /ackmigrate {record.workflow.command} again."
    else:
        ids = [f"task id {mrkdwn.code(record.task_id)}"] if record.task_id else []
        if failure.request_id:
            ids.append(f"request id {mrkdwn.code(failure.request_id)}")
        quoted = " and ".join(ids)
        next_step = ("open a ticket with Alibaba Cloud support" + (f" quoting {quoted}" if quoted else "") +
                     "; do not retry the migration until support has looked at the cluster.")
    shown.append(f"*What to do:* {next_step}")
    text = "\n".join(shown)
    return Message(text=text, blocks=render([section(text)]))


# -- the cleanup --------------------------------------------------------------------------------------------


def _cleanup_success(record: Record) -> Message:
    text = "\n".join(_cleanup_result_lines(record))
    return Message(text=text, blocks=render([section(text)]))


def _cleanup_result_lines(record: Record) -> list[str]:
    """What the cleanup did, instance by instance: nothing is called released that ECS did not release."""
    result = record.cleanup_result
    name = mrkdwn.escape(record.cluster_name)
    deleted = [mrkdwn.escape(n) for n in result.nodes_deleted]
    released = [mrkdwn.escape(i) for i in result.instances_released]
    gone = [mrkdwn.escape(i) for i in result.instances_gone]
    console_ids = {m.instance_id for m in result.needs_console}
    kept = [mrkdwn.escape(m.instance_id) for m in result.still_billed if m.instance_id not in console_ids]
    shown = [f"✅ Cleaned up {name}: deleted {plural(len(deleted), 'old master node')}"
             + (f" ({name_list(deleted)})" if deleted else "") + "."]
    if released:
        shown.append(f"Released through ECS DeleteInstances (pay-as-you-go): {name_list(released)}.")
    if gone:
        shown.append(f"Already released before this cleanup (ECS no longer lists them): {name_list(gone)}.")
    if result.needs_console:
        rows = ", ".join(f"{mrkdwn.escape(m.instance_id)} ({charge_words(m.charge_type)})"
                         for m in result.needs_console)
        shown.append(
            f"*Not released, still billed:* {rows}. A subscription instance cannot be released through the API "
            "before its term ends. In the ECS console: Instances → the instance → ⋮ → Change Billing Method → "
            "Switch to Pay-as-you-go, then ⋮ → Release (or unsubscribe it under Expenses and Costs → "
            f"Unsubscribe). See {CONSOLE_RELEASE_DOC}"
        )
    if kept:
        shown.append(f"Still running and billed (not released): {name_list(kept)}. Release them in the "
                     "ECS console, or run `/ackmigrate cleanup` again with `--release-ecs`.")
    if not released and not gone and not result.needs_console and not kept:
        shown.append("No ECS instances were released.")
    return shown



_SUCCESS: dict[Workflow, Callable[[Record], Message]] = {MIGRATION: _migration_success, CLEANUP: _cleanup_success}
"""Each workflow's result reply."""

# -- the steps around the migration (the master RAM grant, terway) ------------------------------------------


def grant_already_allowed() -> str:
    return "The master RAM policy already allows the bucket."


def grant_added(bucket: str, policy: str, version_id: str, *, removed_version: str | None = None,
                removed_created: str = "") -> str:
    """The OSS statement was added to the master role's policy; RAM keeps five versions, so the oldest
    non-default one may have been removed first."""
    said = (f"Added the OSS statement for {mrkdwn.code(bucket)} to {mrkdwn.escape(policy)} "
            f"(version {mrkdwn.escape(version_id)}, now default).")
    if removed_version is not None:
        created = f" (created {mrkdwn.escape(removed_created)})" if removed_created else ""
        said += (f" RAM keeps at most 5 versions, so the oldest non-default one, {mrkdwn.escape(removed_version)}"
                 f"{created}, was removed first.")
    return said


TERWAY_PREPARED = ("terway: scaled terway-controlplane to 0 and deleted its mutating and validating webhook "
                   "configurations (backup above). They are restored if the migration fails.")
TERWAY_REMOVED = ("terway: the old terway-controlplane Deployment is deleted. Install terway-controlplane again from "
                  "the cluster's Add-ons page in the ACK console (the backup of its webhooks stays in this thread).")


def terway_backup(key: str, backup_json: str, *, limit: int) -> str:
    """The backup of terway's webhooks and replica count, in the thread; just where it is kept when it would
    not fit in `limit` characters."""
    text = f"terway backup, taken before anything was changed (kept in Redis as `{key}`):\n```{backup_json}```"
    if len(text) > limit:
        return f"terway backup taken; too large for Slack, kept in Redis as `{key}` (field `backup`)."
    return text


def terway_restored(replicas: int) -> str:
    """Appended to a failure's reason once terway is put back."""
    return (f" terway restored: its webhook configurations are back and terway-controlplane is scaled back to "
            f"{replicas}.")


def terway_not_restored(error: object, replicas: int) -> str:
    """Appended to a failure's reason when putting terway back failed: what to do by hand."""
    return (f" terway could NOT be restored ({error}): recreate its webhook configurations from the backup "
            f"in this thread and scale terway-controlplane back to {replicas} by hand.")
