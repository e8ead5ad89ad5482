"""Every Slack message ackmigrate sends, as data drawn from the record — no Slack client here.

The request message is re-rendered from the record on every change, in any state, so a missed update
heals on the next one and the channel always shows what the store says. Blocks are built through
slack_sdk's Block Kit models, whose `to_dict()` validates them (lengths, element counts), so a message
Slack would refuse fails here, in a test, and not in front of the people waiting on it.

Everything a person typed (cluster names, buckets, reasons) and everything the cloud said (summaries,
stage names, errors) goes through `mrkdwn.escape`; only `mrkdwn` helpers write mentions and links.

A cleanup record names the nodes it deletes in `result["masters"]` (falling back to
`precheck["masters"]`), each `{"instance_id", "node_name", "charge_type"}`, and when done reports
`result["nodes_deleted"]`, `result["instances_released"]` (lists of names/ids).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from workers import mrkdwn
from workers.checks.model import name_list, shorten
from workers.domain.records import IN_CLOUD, Kind, Record, State
from workers.store import Reply

CONSOLE_RELEASE_DOC = "https://www.alibabacloud.com/help/en/ecs/user-guide/release-an-instance"
"""ECS "Release an instance": an unexpired subscription instance is switched to pay-as-you-go, then released."""

SECTION_LIMIT = 3000
HEADER_LIMIT = 150
MAX_BLOCKS = 50
MAX_CHECK_SECTIONS = 20  # leaves room for the rest of the message within MAX_BLOCKS

EXPECTATIONS = (
    "*What to expect:* about 10–15 minutes; the API server is unavailable for 5–10 of them; the SLB "
    "address does not change. *This cannot be rolled back.* The old master ECS instances are not "
    "deleted: they keep running (and billing) until cleanup."
)
CLEANUP_EXPECTATIONS = (
    "*What happens:* the old master nodes are deleted from Kubernetes (the `kubectl delete node` step). "
    "They are already out of the cluster (Unknown) since the migration. *This cannot be undone.*"
)

_OUTCOME_ICON = {"pass": "✅", "warn": "⚠️", "fail": "❌", "error": "❗", "info": "ℹ️", "skip": "➖"}
_OUTCOME_RANK = {"fail": 0, "error": 1, "warn": 2, "info": 3, "pass": 4, "skip": 5}

_STATE_ICON = {
    State.REQUESTED: "🕐", State.PRECHECKING: "🔎", State.AWAITING_APPROVAL: "⏳", State.APPROVED: "👍",
    State.MIGRATING: "🚚", State.RUNNING: "🧹", State.SUCCEEDED: "✅", State.DONE: "✅", State.FAILED: "❌",
    State.BLOCKED: "⛔", State.REJECTED: "🚫", State.CANCELLED: "↩️", State.EXPIRED: "⌛",
}
_STATE_WORDS = {
    State.REQUESTED: "requested", State.PRECHECKING: "running prechecks",
    State.AWAITING_APPROVAL: "awaiting approval", State.APPROVED: "approved, queued",
    State.MIGRATING: "migrating", State.RUNNING: "deleting old masters", State.SUCCEEDED: "succeeded",
    State.DONE: "done", State.FAILED: "failed", State.BLOCKED: "blocked by prechecks",
    State.REJECTED: "rejected", State.CANCELLED: "cancelled", State.EXPIRED: "expired",
}


@dataclass(frozen=True)
class Message:
    """`text` is the notification and screen-reader fallback; `blocks` are what the channel shows."""

    text: str
    blocks: list[dict[str, Any]]


# -- the request message ----------------------------------------------------------------------------


def request_message(
    record: Record, *, approvers_label: str, two_person_rule: bool, now: float, will_also: Sequence[str] = ()
) -> Message:
    """The channel message of a migration or cleanup request, in whatever state it is.

    `approvers_label` is mrkdwn the caller built with `mrkdwn.user` (e.g. `<!subteam^S0LEADS>`);
    `will_also` names the automated steps around the migration the settings turn on, shown before approval.
    """
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=_header(record), emoji=True))]
    blocks.append(_section(_request_facts(record, now=now)))
    status = _status_line(record, now=now)
    if status:
        blocks.append(_section(status))
    blocks.extend(_precheck_blocks(record.precheck))
    if record.kind is Kind.CLEANUP:
        blocks.append(_section(_cleanup_targets_text(record)))
    if record.state in (State.REQUESTED, State.PRECHECKING, State.AWAITING_APPROVAL):
        if will_also:
            blocks.append(_section("*ackmigrate will also:* " + "; ".join(mrkdwn.escape(step) for step in will_also)
                                   + "."))
        blocks.append(_context(EXPECTATIONS if record.kind is Kind.MIGRATION else CLEANUP_EXPECTATIONS))
    if record.state is State.AWAITING_APPROVAL:
        blocks.append(_approval_actions(record))
        blocks.append(_context(_approvers_line(record, approvers_label, two_person_rule)))
    if record.state is State.BLOCKED:
        command = "migrate" if record.kind is Kind.MIGRATION else "cleanup"
        blocks.append(_section(f"*Fix the failures and run /ackmigrate {command} again.*"))
    if _offers_cleanup(record):
        blocks.append(_section(_cleanup_offer_text(record)))
        blocks.append(ActionsBlock(elements=[ButtonElement(
            text="Clean up old masters", action_id="request_cleanup", value=record.id)]))
    return Message(text=_request_fallback(record), blocks=_render(blocks))


def _header(record: Record) -> str:
    icon = _STATE_ICON[record.state]
    if record.kind is Kind.MIGRATION:
        title = {
            State.AWAITING_APPROVAL: "Migration request", State.PRECHECKING: "Migration request — checking",
            State.BLOCKED: "Migration blocked", State.APPROVED: "Migration approved",
            State.MIGRATING: "Migrating", State.SUCCEEDED: "Migrated", State.FAILED: "Migration failed",
            State.REJECTED: "Migration rejected", State.CANCELLED: "Migration cancelled",
            State.EXPIRED: "Migration request expired",
        }.get(record.state, "Migration request")
        text = f"{icon}  {title} — {record.cluster_name} → ACK Pro"
        if record.state is State.MIGRATING and record.stage_total:
            text += f"  ·  stage {record.stage}/{record.stage_total}"
    else:
        title = {
            State.AWAITING_APPROVAL: "Cleanup request", State.BLOCKED: "Cleanup blocked",
            State.APPROVED: "Cleanup approved", State.RUNNING: "Cleaning up", State.DONE: "Cleaned up",
            State.FAILED: "Cleanup failed", State.REJECTED: "Cleanup rejected",
            State.CANCELLED: "Cleanup cancelled", State.EXPIRED: "Cleanup request expired",
        }.get(record.state, "Cleanup request")
        text = f"{icon}  {title} — old masters of {record.cluster_name}"
    # plain_text is never parsed for mentions or links, so the name is shown exactly as typed.
    return shorten(text, HEADER_LIMIT)


def _request_facts(record: Record, *, now: float) -> str:
    report = record.precheck or {}
    facts = [f"Requested by {mrkdwn.user(record.requester)}", f"cluster {mrkdwn.code(record.cluster_id)}",
             mrkdwn.escape(record.region)]
    version = record.cluster_version or report.get("current_version")
    if version:
        facts.append(f"Kubernetes {mrkdwn.escape(str(version))}")
    sizes = _sizes(report)
    if sizes:
        facts.append(sizes)
    lines = [" · ".join(facts)]
    if record.kind is Kind.MIGRATION and record.bucket:
        bucket = f"Bucket: *{mrkdwn.escape(record.bucket)}*"
        if report.get("bucket_endpoint"):
            bucket += f" ({mrkdwn.escape(str(report['bucket_endpoint']))})"
        lines.append(bucket)
    if record.state is State.AWAITING_APPROVAL and record.expires_at is not None:
        left = record.expires_at - now
        lines.append(f"Expires in {_duration(left)}" if left > 0 else "Expiring now")
    lines.append(f"Request {mrkdwn.code(record.id)}")
    return "\n".join(lines)


def _sizes(report: dict[str, Any]) -> str:
    parts = []
    if report.get("master_count") is not None:
        parts.append(_plural(int(report["master_count"]), "master"))
    if report.get("worker_count") is not None:
        parts.append(_plural(int(report["worker_count"]), "worker"))
    return ", ".join(parts)


def _status_line(record: Record, *, now: float) -> str:
    """The decision and progress: who decided when, which stage, how long, why it ended."""
    decided = _decision(record)
    if record.state in (State.REQUESTED, State.PRECHECKING):
        return "🔎 Running prechecks…" if record.precheck is None else ""
    if record.state is State.BLOCKED:
        failed = len(_blocking_checks(record.precheck))
        reason = f" {mrkdwn.escape(record.reason)}" if record.reason else ""
        return f"⛔ Blocked by {_plural(failed, 'failed check')}.{reason}"
    if record.state is State.APPROVED:
        return _lines(decided, "Queued: a worker picks it up in a moment.")
    if record.state in IN_CLOUD:
        return _lines(decided, _progress(record, now=now))
    if record.state in (State.SUCCEEDED, State.DONE):
        finished = _clock(record.finished_at or record.updated_at)
        return _lines(decided, f"✅ Finished at {finished} UTC{_took(record)}.")
    if record.state is State.FAILED:
        where = f" at stage {record.stage}/{record.stage_total}" if record.stage_total else ""
        reason = mrkdwn.escape(record.reason or "no reason was recorded")
        return _lines(decided, f"❌ Failed{where}: {reason}")
    if record.state is State.EXPIRED:
        command = "migrate" if record.kind is Kind.MIGRATION else "cleanup"
        return (f"⌛ Expired at {_clock(record.updated_at)} UTC: nobody approved or rejected it in time. "
                f"Run /ackmigrate {command} again to ask again.")
    return _decision(record, with_reason=True)  # rejected, cancelled


def _decision(record: Record, *, with_reason: bool = False) -> str:
    verb = {State.REJECTED: "Rejected", State.CANCELLED: "Cancelled"}.get(record.state, "Approved")
    if record.decided_by is None:
        return f"{verb} at {_clock(record.updated_at)} UTC" if record.state is State.CANCELLED else ""
    line = f"{verb} by {mrkdwn.user(record.decided_by)}"
    if record.decided_at is not None:
        line += f" at {_clock(record.decided_at)} UTC"
    if with_reason and record.reason:
        line += f": {mrkdwn.escape(record.reason)}"
    return line


def _progress(record: Record, *, now: float) -> str:
    started = record.started_at or record.decided_at or record.updated_at
    elapsed = f"{_duration(now - started)} elapsed"
    task = f" · task {mrkdwn.code(record.task_id)}" if record.task_id else ""
    if not record.stage_total:
        waiting = "Waiting for ACK to start the task" if record.kind is Kind.MIGRATION else "Starting"
        return f"{_STATE_ICON[record.state]} {waiting} · {elapsed}{task}"
    name = f" {mrkdwn.escape(record.stage_name)}" if record.stage_name else ""
    return f"{_STATE_ICON[record.state]} Stage {record.stage}/{record.stage_total}{name} · {elapsed}{task}"


def approval_tally(record: Record) -> str:
    """"Approvals: 1 of 2 — @bob": how far a request that needs several approvers has come."""
    given = ", ".join(mrkdwn.user(user) for user in record.approvers) or "none yet"
    return f"*Approvals: {len(record.approvals)} of {record.approvals_required}* — {given}"


def approval_reply(record: Record) -> Reply:
    """The thread reply for an approval as counted: "1 of 2" until the last one, which queues the job."""
    latest = mrkdwn.user(record.approvals[-1].user)
    if record.approvals_required == 1:
        return Reply(f":white_check_mark: {latest} approved. Queued.")
    count = f"{len(record.approvals)} of {record.approvals_required}"
    if record.state is State.APPROVED:
        return Reply(f":white_check_mark: {latest} approved ({count}). Queued.")
    return Reply(f":white_check_mark: {latest} approved ({count}); waiting for "
                 f"{_plural(record.approvals_required - len(record.approvals), 'more approver')}.")


def approval_not_counted(record: Record, user: str) -> str:
    """Why a click on Approve did not count, once the worker looked (a race the bot could not see)."""
    if user in record.approvers:
        return (f"Your approval of {mrkdwn.escape(record.cluster_name)} is already counted "
                f"({len(record.approvals)} of {record.approvals_required}).")
    if record.state is State.APPROVED and record.decided_by:
        return f"This request was already approved by {mrkdwn.user(record.decided_by)}; your click changed nothing."
    return f"This request is {str(record.state).replace('_', ' ')}; your approval was not counted."


def precheck_changed_reply(changes: Sequence[str], *, blocked: bool) -> Reply:
    """Told in the thread when an approval found the cluster no longer as the request shows it."""
    listed = "\n".join(f"• {mrkdwn.escape(change)}" for change in changes)
    if blocked:
        return Reply(f"⛔ The prechecks re-run at approval now block this migration:\n{listed}\n"
                     "The request is closed. Fix the failures and run /ackmigrate migrate again.")
    return Reply(f"🔄 The cluster changed since this request was posted:\n{listed}\n"
                 "The checklist above is refreshed; approvals given so far no longer count. "
                 "Review it and approve again.")


def precheck_changed_private(record: Record, changes: Sequence[str]) -> str:
    """Told privately to the approver whose click found the change."""
    first = mrkdwn.escape(changes[0]) if changes else "the checks changed"
    return (f"Your approval of {mrkdwn.escape(record.cluster_name)} was not counted: the prechecks re-run "
            f"just now differ from the ones in the request ({first}). The message is refreshed; "
            "review it before approving.")


def _approval_actions(record: Record) -> ActionsBlock:
    """Approve (with a confirm dialog: nothing here can be undone) and Reject; value = the record id."""
    if record.kind is Kind.MIGRATION:
        approve_id, reject_id, title = "approve_migration", "reject_migration", "Approve the migration?"
        text = (f"{mrkdwn.escape(record.cluster_name)} becomes an ACK Pro cluster. This cannot be undone: "
                "there is no rollback, and the API server is unavailable for 5–10 minutes.")
    else:
        approve_id, reject_id, title = "approve_cleanup", "reject_cleanup", "Approve the cleanup?"
        nodes = [str(m.get("node_name") or m.get("instance_id")) for m in _cleanup_targets(record)]
        text = f"Deletes {_plural(len(nodes), 'master node')} from {mrkdwn.escape(record.cluster_name)}"
        if record.release_ecs:
            text += " and RELEASES their pay-as-you-go ECS instances (their disks are lost)"
        text += ". This cannot be undone."
    confirm = ConfirmObject(title=title, text=MarkdownTextObject(text=shorten(text, 300)),
                            confirm="Approve", deny="Go back")
    return ActionsBlock(elements=[
        ButtonElement(text="Approve", action_id=approve_id, value=record.id, style="primary",
                      confirm=confirm),
        ButtonElement(text="Reject", action_id=reject_id, value=record.id),
    ])


def _approvers_line(record: Record, approvers_label: str, two_person_rule: bool) -> str:
    line = f"Approvers: {approvers_label}"
    if record.approvals_required > 1:
        line = f"{approval_tally(record)} · {line}"
    if two_person_rule:
        line += f" · two-person rule on ({mrkdwn.user(record.requester)} cannot approve their own request)"
    return line


def _cleanup_targets(record: Record) -> list[dict[str, Any]]:
    masters = record.result.get("masters")
    if masters is None and record.precheck:
        masters = record.precheck.get("masters")
    return list(masters or [])


def _cleanup_targets_text(record: Record) -> str:
    targets = _cleanup_targets(record)
    nodes = [mrkdwn.escape(str(m.get("node_name") or m.get("instance_id"))) for m in targets]
    instances = [mrkdwn.escape(str(m.get("instance_id"))) for m in targets if m.get("instance_id")]
    lines = [f"*Nodes to delete:* {name_list(nodes) if nodes else 'none found'}"]
    if record.release_ecs:
        payg = [mrkdwn.escape(str(m.get("instance_id"))) for m in targets
                if m.get("instance_id") and m.get("charge_type") == "PostPaid"]
        other = [f"{mrkdwn.escape(str(m.get('instance_id')))} ({_charge_words(str(m.get('charge_type', '')))})"
                 for m in targets if m.get("instance_id") and m.get("charge_type") not in ("PostPaid", "")]
        if payg:
            lines.append(f"*ECS instances:* will be *RELEASED* (pay-as-you-go, ECS DeleteInstances) — "
                         f"{name_list(payg)}")
        if other:
            lines.append(f"*Not released by ackmigrate:* {', '.join(other)} — a subscription instance can only be "
                         "released from the ECS console; the result names the step.")
    else:
        kept = name_list(instances) if instances else "none"
        lines.append(f"*ECS instances:* kept, and still billed — {kept}. "
                     "Release them yourself, or ask for a cleanup with `--release-ecs`.")
    if record.state is State.DONE:
        deleted = [mrkdwn.escape(str(n)) for n in record.result.get("nodes_deleted", [])]
        released = [mrkdwn.escape(str(i)) for i in record.result.get("instances_released", [])]
        lines.append(f"*Deleted:* {name_list(deleted) if deleted else 'no nodes'}")
        if released:
            lines.append(f"*Released:* {name_list(released)}")
    return "\n".join(lines)


def _cleanup_result_lines(record: Record) -> list[str]:
    """What the cleanup did, instance by instance: nothing is called released that ECS did not release."""
    name = mrkdwn.escape(record.cluster_name)
    deleted = [mrkdwn.escape(str(n)) for n in record.result.get("nodes_deleted", [])]
    released = [mrkdwn.escape(str(i)) for i in record.result.get("instances_released", [])]
    gone = [mrkdwn.escape(str(i)) for i in record.result.get("instances_gone", [])]
    console = list(record.result.get("needs_console", []))
    console_ids = {str(m.get("instance_id")) for m in console}
    kept = [mrkdwn.escape(str(m.get("instance_id"))) for m in record.result.get("still_billed", [])
            if str(m.get("instance_id")) not in console_ids]
    lines = [f"✅ Cleaned up {name}: deleted {_plural(len(deleted), 'old master node')}"
             + (f" ({name_list(deleted)})" if deleted else "") + "."]
    if released:
        lines.append(f"Released through ECS DeleteInstances (pay-as-you-go): {name_list(released)}.")
    if gone:
        lines.append(f"Already released before this cleanup (ECS no longer lists them): {name_list(gone)}.")
    if console:
        rows = ", ".join(f"{mrkdwn.escape(str(m.get('instance_id')))} ({_charge_words(str(m.get('charge_type', '')))})"
                         for m in console)
        lines.append(
            f"*Not released, still billed:* {rows}. A subscription instance cannot be released through the API "
            "before its term ends. In the ECS console: Instances → the instance → ⋮ → Change Billing Method → "
            "Switch to Pay-as-you-go, then ⋮ → Release (or unsubscribe it under Expenses and Costs → "
            f"Unsubscribe). See {CONSOLE_RELEASE_DOC}"
        )
    if kept:
        lines.append(f"Still running and billed (not released): {name_list(kept)}. Release them in the "
                     "ECS console, or run `/ackmigrate cleanup` again with `--release-ecs`.")
    if not released and not gone and not console and not kept:
        lines.append("No ECS instances were released.")
    return lines


def _offers_cleanup(record: Record) -> bool:
    return (record.kind is Kind.MIGRATION and record.state is State.SUCCEEDED
            and not record.result.get("cleanup_id"))


def _cleanup_offer_text(record: Record) -> str:
    return f"*Next:* {_masters_billing(record)} Clean them up when you are ready."


def _masters_billing(record: Record) -> str:
    masters = list((record.precheck or {}).get("masters") or [])
    if not masters:
        return "The old masters are no longer part of the cluster and their ECS instances are still billed."
    charges: dict[str, int] = {}
    for master in masters:
        charge = _charge_words(str(master.get("charge_type", "")))
        charges[charge] = charges.get(charge, 0) + 1
    billing = ", ".join(f"{count} {charge}" for charge, count in charges.items())
    return (f"The {_plural(len(masters), 'old master')} are Unknown (no longer part of the cluster) "
            f"and still billed ({billing}).")


def _charge_words(charge_type: str) -> str:
    words = {"PostPaid": "pay-as-you-go", "PrePaid": "subscription"}
    return words.get(charge_type, charge_type or "unknown billing")


def _request_fallback(record: Record) -> str:
    what = "Migration" if record.kind is Kind.MIGRATION else "Cleanup"
    return (f"{what} request for {mrkdwn.escape(record.cluster_name)} ({record.cluster_id}) by "
            f"{mrkdwn.user(record.requester)}: {_STATE_WORDS[record.state]}")


# -- the prechecks ----------------------------------------------------------------------------------


def _precheck_blocks(report: dict[str, Any] | None) -> list[Block]:
    if report is None:
        return []
    checks = _ordered_checks(report)
    return [_section(f"*Prechecks*  {_tally(checks)}"), *_checklist(checks)]


def _checklist(checks: Sequence[dict[str, Any]]) -> list[Block]:
    """The check lines in sections; a report too long for one message keeps its first (worst) checks."""
    sections: list[str] = []
    shown = 0
    for line in (_check_line(check) for check in checks):
        if sections and len(sections[-1]) + 1 + len(line) <= SECTION_LIMIT:
            sections[-1] += "\n" + line
        elif len(sections) < MAX_CHECK_SECTIONS:
            sections.append(line)
        else:
            break
        shown += 1
    blocks: list[Block] = [_section(text) for text in sections]
    if shown < len(checks):
        hidden = _plural(len(checks) - shown, "more check")
        blocks.append(_context(f"…and {hidden}: `ackmigrate precheck` in a terminal lists them all."))
    return blocks


def _ordered_checks(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Failures first (what must be fixed), then what could not be checked, warnings, and the rest."""
    checks: list[dict[str, Any]] = list(report.get("checks") or [])
    return sorted(checks, key=lambda check: _OUTCOME_RANK.get(str(check.get("outcome")), 6))


def _blocking_checks(report: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [c for c in (report or {}).get("checks") or [] if c.get("outcome") in ("fail", "error")]


def _tally(checks: Sequence[dict[str, Any]]) -> str:
    def count(outcome: str) -> int:
        return sum(1 for check in checks if check.get("outcome") == outcome)

    parts = [f"✅ {count('pass')} passed", f"⚠️ {_plural(count('warn'), 'warning')}",
             f"❌ {count('fail')} failed"]
    if count("error"):
        parts.append(f"❗ {count('error')} could not be checked")
    if count("skip"):  # did not apply: counted apart, never as passed
        parts.append(f"➖ {count('skip')} skipped")
    return " · ".join(parts)


def _check_line(check: dict[str, Any]) -> str:
    outcome = str(check.get("outcome"))
    title = mrkdwn.escape(str(check.get("title") or check.get("id")))
    summary = mrkdwn.escape(shorten(str(check.get("summary", ""))))
    line = f"{_OUTCOME_ICON.get(outcome, '•')} *{title}* — {summary}"
    if outcome == "pass":
        return line
    help_parts = []
    if check.get("fix"):
        help_parts.append(mrkdwn.escape(shorten(str(check["fix"]))))
    if check.get("doc_url"):
        help_parts.append(mrkdwn.link(str(check["doc_url"]), "doc"))
    if help_parts:
        line += "\n      ↳ " + " ".join(help_parts)
    return line


def precheck_message(report: dict[str, Any], cluster_name: str) -> Message:
    """The private answer to `/ackmigrate precheck`: the checklist and whether a migration could start."""
    checks = _ordered_checks(report)
    name = mrkdwn.escape(cluster_name)
    blocked = _blocking_checks(report)
    facts = [f"*Prechecks for {name}* ({mrkdwn.code(str(report.get('cluster_id', '')))})"]
    if report.get("current_version"):
        facts.append(f"Kubernetes {mrkdwn.escape(str(report['current_version']))}")
    sizes = _sizes(report)
    if sizes:
        facts.append(sizes)
    verdict = (f"❌ Not ready: fix the {_plural(len(blocked), 'failure')} above, then check again."
               if blocked else "✅ Ready: `/ackmigrate migrate` would ask for approval.")
    blocks: list[Block] = [
        _section(" · ".join(facts)),
        _section(f"*Prechecks*  {_tally(checks)}"),
        *_checklist(checks),
        _section(verdict),
    ]
    text = f"Prechecks for {name}: {'not ready' if blocked else 'ready'} ({_tally(checks)})"
    return Message(text=text, blocks=_render(blocks))


# -- thread replies ---------------------------------------------------------------------------------


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
    name = mrkdwn.escape(record.cluster_name)
    if record.kind is Kind.CLEANUP:
        text = "\n".join(_cleanup_result_lines(record))
        return Message(text=text, blocks=_render([_section(text)]))
    took = _took(record)
    spec = record.result.get("cluster_spec", "ack.pro.small")
    head = f"✅ {name} is now ACK Pro ({mrkdwn.escape(str(spec))}){took}."
    verification = record.result.get("verification")
    if verification is not None:
        head = _verified_head(name, str(spec), took, verification)
    steps = [_check_fix(check) for check in _follow_up_checks(record.precheck)]
    steps.append(_masters_billing(record))
    text = "\n".join([head, *(f"• {step}" for step in steps)])
    blocks: list[Block] = [_section(head), _section("*Next:*\n" + "\n".join(f"• {s}" for s in steps))]
    if _offers_cleanup(record):
        blocks.append(ActionsBlock(elements=[ButtonElement(
            text="Clean up old masters", action_id="request_cleanup", value=record.id)]))
    return Message(text=text, blocks=_render(blocks))


def verification_reply(report: dict[str, Any]) -> Message:
    """The thread's one verification reply (and `/ackmigrate verify`'s private answer): the checks as a
    checklist like the precheck's, the follow-ups as done or to do, and the verdict."""
    name = mrkdwn.escape(str(report.get("cluster_name", "")))
    checks = _ordered_checks(report)
    failed = _blocking_checks(report)
    follow_ups = list(report.get("follow_ups") or [])
    blocks: list[Block] = [_section(f"*Verification of {name}*  {_tally(checks)}"), *_checklist(checks)]
    if follow_ups:
        lines = [("✅ done" if f.get("outcome") == "pass" else "📝 to do") + f" — *{mrkdwn.escape(str(f.get('title')))}*: "
                 + _check_fix({**f, "fix": ""}) for f in follow_ups]
        blocks.append(_section("*Follow-ups*\n" + "\n".join(lines)))
    verdict = (f"❌ Verification failed: {_plural(len(failed), 'check')} above. The migration itself is done "
               "and cannot be undone; fix what is listed, then run `/ackmigrate verify` again."
               if failed else "✅ Verified: the API server, the nodes, kube-system and a canary pod all work.")
    blocks.append(_section(verdict))
    text = f"Verification of {name}: {'failed' if failed else 'verified'} ({_tally(checks)})"
    return Message(text=text, blocks=_render(blocks))


def _verified_head(name: str, spec: str, took: str, verification: dict[str, Any]) -> str:
    """The broadcast's first line: verified, or migrated but not verified — never "can be undone"."""
    failed = _blocking_checks(verification)
    if not failed:
        return f"✅ {name} is now ACK Pro ({mrkdwn.escape(spec)}){took}, and verified."
    what = "; ".join(f"{mrkdwn.escape(str(c.get('title')))}: {mrkdwn.escape(shorten(str(c.get('summary', ''))))}"
                     for c in failed)
    return (f"⚠️ {name} is migrated to ACK Pro ({mrkdwn.escape(spec)}){took}, but verification failed: {what}\n"
            "The migration cannot be undone. *Next:* fix what the verification reply in this thread lists, then "
            "run `/ackmigrate verify` again.")


def _follow_up_checks(report: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Warnings that say what to do after the migration (cGPU upgrade, add-ons and terway-controlplane to
    reinstall)."""
    checks = (report or {}).get("checks") or []
    return [c for c in checks if c.get("outcome") == "warn" and c.get("id") in ("cgpu", "addons", "terway-pod-networking")]


def _check_fix(check: dict[str, Any]) -> str:
    text = mrkdwn.escape(shorten(str(check.get("fix") or check.get("summary") or "")))
    if check.get("doc_url"):
        text += " " + mrkdwn.link(str(check["doc_url"]), "doc")
    return text


def failure_reply(record: Record) -> Message:
    """What failed, what state the cluster is in, and the one next step — in the thread and the channel."""
    name = mrkdwn.escape(record.cluster_name)
    what = "Migration" if record.kind is Kind.MIGRATION else "Cleanup"
    where = f" at stage {record.stage}/{record.stage_total}" if record.stage_total else ""
    reason = mrkdwn.escape(record.reason or "no reason was recorded")
    lines = [f"❌ {what} of {name} failed{where}: {reason}"]
    touched = record.migrate_called_at is not None or record.started_at is not None
    if touched:
        state = record.result.get("cluster_state")
        if state:
            lines.append(f"The cluster state is {mrkdwn.code(str(state))}.")
        lines.append("Nothing was rolled back by ackmigrate (it cannot be).")
    else:
        lines.append("Nothing was changed on the cluster.")
    lines.append(f"*What to do:* {_next_step(record, touched=touched)}")
    text = "\n".join(lines)
    return Message(text=text, blocks=_render([_section(text)]))


def _next_step(record: Record, *, touched: bool) -> str:
    given = record.result.get("next_step")
    if given:
        return mrkdwn.escape(str(given))
    if not touched:
        command = "migrate" if record.kind is Kind.MIGRATION else "cleanup"
        return f"fix the cause above and run /ackmigrate {command} again."
    ids = []
    if record.task_id:
        ids.append(f"task id {mrkdwn.code(record.task_id)}")
    if record.result.get("request_id"):
        ids.append(f"request id {mrkdwn.code(str(record.result['request_id']))}")
    quoted = " and ".join(ids)
    return ("open a ticket with Alibaba Cloud support" + (f" quoting {quoted}" if quoted else "") +
            "; do not retry the migration until support has looked at the cluster.")


# -- status and lists -------------------------------------------------------------------------------


def status_overview(
    in_flight: Sequence[Record], recent: Sequence[Record], *, now: float, permalinks: dict[str, str]
) -> Message:
    """`/ackmigrate status`: everything in flight, then recent results, each linking to its thread."""
    flying = [_overview_line(r, now=now, permalink=permalinks.get(r.id)) for r in in_flight]
    ended = [_overview_line(r, now=now, permalink=permalinks.get(r.id)) for r in recent]
    blocks: list[Block] = [_section("*In flight*")]
    blocks.extend(_section(text) for text in _chunks(flying or ["Nothing in flight."]))
    blocks.append(DividerBlock())
    blocks.append(_section("*Recent results*"))
    blocks.extend(_section(text) for text in _chunks(ended or ["Nothing finished recently."]))
    text = f"{len(in_flight)} in flight, {len(recent)} recent"
    return Message(text=text, blocks=_render(blocks))


def _overview_line(record: Record, *, now: float, permalink: str | None) -> str:
    parts = [f"{_STATE_ICON[record.state]} *{mrkdwn.escape(record.cluster_name)}*"]
    if record.kind is Kind.CLEANUP:
        parts.append("cleanup")
    parts.append(_state_phrase(record, now=now))
    people = mrkdwn.user(record.requester)
    if record.decided_by:
        people += f" → {mrkdwn.user(record.decided_by)}"
    parts.append(people)
    if permalink:
        parts.append(mrkdwn.link(permalink, "thread"))
    return "   ".join(parts)


def _state_phrase(record: Record, *, now: float) -> str:
    if record.state is State.AWAITING_APPROVAL and record.expires_at is not None:
        return f"awaiting approval ({_duration(max(0.0, record.expires_at - now))} left)"
    if record.state in IN_CLOUD:
        stage = f"stage {record.stage}/{record.stage_total}   " if record.stage_total else ""
        return f"{stage}{_duration(now - (record.started_at or record.updated_at))}"
    if record.state is State.FAILED:
        where = f" at stage {record.stage}" if record.stage_total else ""
        return f"failed{where}   {_date(record.updated_at)}"
    if record.terminal:
        took = _took(record).removeprefix(" — ").strip()
        return " ".join(p for p in (_STATE_WORDS[record.state], took, "  " + _date(record.updated_at)) if p)
    return _STATE_WORDS[record.state]


def status_detail(record: Record, *, now: float, permalink: str | None) -> Message:
    """`/ackmigrate status CLUSTER`: one request in full, without the buttons."""
    what = "migration" if record.kind is Kind.MIGRATION else "cleanup"
    head = (f"{_STATE_ICON[record.state]} *{mrkdwn.escape(record.cluster_name)}* {what} "
            f"{mrkdwn.code(record.id)} — {_state_phrase(record, now=now)}")
    blocks: list[Block] = [_section(head), _section(_request_facts(record, now=now))]
    status = _status_line(record, now=now)
    if status:
        blocks.append(_section(status))
    if record.precheck is not None:
        blocks.append(_section(f"*Prechecks*  {_tally(_ordered_checks(record.precheck))}"))
        failures = [_check_line(c) for c in _blocking_checks(record.precheck)]
        blocks.extend(_section(text) for text in _chunks(failures))
    if permalink:
        blocks.append(_context(mrkdwn.link(permalink, "Open the request thread")))
    text = f"{record.cluster_name} {what}: {_STATE_WORDS[record.state]}"
    return Message(text=mrkdwn.escape(text), blocks=_render(blocks))


def cluster_list(rows: Sequence[dict[str, Any]], *, others: int = 0) -> Message:
    """`/ackmigrate list`: the dedicated clusters, with one word each on whether a migration could start.

    `others`: how many clusters of the region were left out because they are not dedicated."""
    lines = [
        f"• *{mrkdwn.escape(str(row.get('name', '')))}*  {mrkdwn.code(str(row.get('cluster_id', '')))}"
        f"  Kubernetes {mrkdwn.escape(str(row.get('version') or '?'))}  ·  "
        f"{mrkdwn.escape(str(row.get('readiness') or 'unknown'))}"
        for row in rows
    ]
    blocks: list[Block] = [_section(f"*Dedicated clusters* ({len(rows)})")]
    blocks.extend(_section(text) for text in _chunks(lines or ["No dedicated clusters in this region."]))
    footer = ("`ready`: every check that needs no bucket passes; `blocked:` names the checks that fail. "
              "`/ackmigrate precheck CLUSTER --bucket B` also checks the bucket and the master role's grant.")
    if others:
        footer += f" {others} managed or other clusters are not listed."
    blocks.append(_context(footer))
    return Message(text=f"{len(rows)} dedicated clusters", blocks=_render(blocks))


# -- small pieces -----------------------------------------------------------------------------------


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=shorten(text, SECTION_LIMIT)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=shorten(text, SECTION_LIMIT))])


def _chunks(lines: Iterable[str], limit: int = SECTION_LIMIT) -> list[str]:
    """Join lines into as few section texts as fit Slack's 3000-character limit."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit and current:
            chunks.append(current)
            candidate = line
        current = candidate
    if current:
        chunks.append(current)
    return chunks


def _render(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """Validated dicts; past Slack's 50 blocks the rest is summed up in one line instead of refused."""
    if len(blocks) > MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 1], _context(f"…and {len(blocks) - MAX_BLOCKS + 1} more")]
    return [block.to_dict() for block in blocks]


def _lines(*lines: str) -> str:
    return "\n".join(line for line in lines if line)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _duration(seconds: float) -> str:
    minutes = int(max(0.0, seconds) // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def _took(record: Record) -> str:
    if record.started_at is None or record.finished_at is None:
        return ""
    return f" — {_duration(record.finished_at - record.started_at)}"


def _clock(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%H:%M")


def _date(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
