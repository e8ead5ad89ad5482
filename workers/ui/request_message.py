"""The request message: the channel message of a migration or cleanup request, drawn from the record.

It is re-rendered from the record on every change, in any state, so a missed update heals on the next one
and the channel always shows what the store says. Everything a person typed (cluster names, buckets,
reasons) and everything the cloud said (summaries, stage names, errors) goes through `mrkdwn.escape`; only
`mrkdwn` helpers write mentions and links.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
)

from workers import mrkdwn
from workers.checks.model import PrecheckReport, name_list, shorten
from workers.domain.records import Record, State
from workers.domain.results import OldMaster
from workers.domain.workflows import CLEANUP, MIGRATION, Workflow
from workers.ui import clock, ids
from workers.ui.checklist import blocking, precheck_blocks, precheck_of, sizes
from workers.ui.kit import HEADER_LIMIT, Message, context, lines, plural, render, section
from workers.ui.words import STATE_ICON, STATE_WORDS, charge_words, wording

TERWAY_PLANNED = (
    "scale terway-controlplane to 0 and back up and delete its mutating and validating webhook configurations "
    "before the migration (restored if it fails; the old Deployment is deleted after it succeeds, to be "
    "reinstalled from Add-ons)"
)
"""Announced under "ackmigrate will also" when ACKMIGRATE_AUTOMATE_TERWAY is on and the cluster runs it."""

CONSOLE_RELEASE_DOC = "https://www.alibabacloud.com/help/en/ecs/user-guide/release-an-instance"
"""ECS "Release an instance": an unexpired subscription instance is switched to pay-as-you-go, then released."""


def request_message(
    record: Record, *, approvers_label: str, two_person_rule: bool, now: float, will_also: Sequence[str] = ()
) -> Message:
    """The channel message of a migration or cleanup request, in whatever state it is.

    `approvers_label` is mrkdwn the caller built with `mrkdwn.user` (e.g. `<!subteam^S0LEADS>`);
    `will_also` names the automated steps around the migration the settings turn on, shown before approval.
    """
    words, shape = wording(record), _SHAPES[record.workflow]
    report = precheck_of(record)
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=_header(record), emoji=True))]
    if record.wave:
        blocks.append(context(f"Part of wave *{mrkdwn.escape(record.wave)}*, approved with the wave: "
                              "it starts and is followed without further clicks."))
    blocks.append(section(request_facts(record, report, now=now)))
    status = status_line(record, report, now=now)
    if status:
        blocks.append(section(status))
    blocks.extend(precheck_blocks(report))
    details = shape.details(record, report)
    if details:
        blocks.append(section(details))
    if record.state in (State.REQUESTED, State.PRECHECKING, State.AWAITING_APPROVAL):
        if will_also:
            blocks.append(section("*ackmigrate will also:* " + "; ".join(mrkdwn.escape(step) for step in will_also)
                                  + "."))
        blocks.append(context(words.expectations))
    if record.state is State.AWAITING_APPROVAL:
        blocks.append(_approval_actions(record, report))
        blocks.append(context(_approvers_line(record, approvers_label, two_person_rule)))
    if record.state is State.BLOCKED:
        blocks.append(section(f"*Fix the failures and run /ackmigrate {record.workflow.command} again.*"))
    if offers_cleanup(record):
        blocks.append(section(f"*Next:* {masters_billing(report)} Clean them up when you are ready."))
        blocks.append(cleanup_button(record))
    return Message(text=_request_fallback(record), blocks=render(blocks))


def approvers_label(approvers: Sequence[str]) -> str:
    """Slack mentions for the configured approvers (users `<@U…>`, groups `<!subteam^S…>`)."""
    if not approvers:
        return "anyone in the channel"
    return ", ".join(mrkdwn.user(approver) for approver in approvers)


def _header(record: Record) -> str:
    words = wording(record)
    title = words.headers.get(record.state, words.default_header)
    text = f"{STATE_ICON[record.state]}  {title} — {words.subject.format(name=record.cluster_name)}"
    if record.state is record.workflow.in_cloud and record.stage_total:
        text += f"  ·  stage {record.stage}/{record.stage_total}"
    # plain_text is never parsed for mentions or links, so the name is shown exactly as typed.
    return shorten(text, HEADER_LIMIT)


def request_facts(record: Record, report: PrecheckReport | None, *, now: float) -> str:
    """Who asked, which cluster, its size, the bucket, when the request expires, and its id."""
    facts = [f"Requested by {mrkdwn.user(record.requester)}", f"cluster {mrkdwn.code(record.cluster_id)}",
             mrkdwn.escape(record.region)]
    version = record.cluster_version or (report.current_version if report else "")
    if version:
        facts.append(f"Kubernetes {mrkdwn.escape(version)}")
    size = sizes(report)
    if size:
        facts.append(size)
    shown = [" · ".join(facts)]
    if record.bucket:  # only a migration names one
        bucket = f"Bucket: *{mrkdwn.escape(record.bucket)}*"
        if report is not None and report.bucket_endpoint:
            bucket += f" ({mrkdwn.escape(report.bucket_endpoint)})"
        shown.append(bucket)
    if record.state is State.AWAITING_APPROVAL and record.expires_at is not None:
        left = record.expires_at - now
        shown.append(f"Expires in {clock.duration(left)}" if left > 0 else "Expiring now")
    shown.append(f"Request {mrkdwn.code(record.id)}")
    return "\n".join(shown)


def status_line(record: Record, report: PrecheckReport | None, *, now: float) -> str:
    """The decision and progress: who decided when, which stage, how long, why it ended."""
    decided = _decision(record)
    if record.state in (State.REQUESTED, State.PRECHECKING):
        return "🔎 Running prechecks…" if report is None else ""
    if record.state is State.BLOCKED:
        reason = f" {mrkdwn.escape(record.reason)}" if record.reason else ""
        return f"⛔ Blocked by {plural(len(blocking(report)), 'failed check')}.{reason}"
    if record.state is State.APPROVED:
        return lines(decided, "Queued: a worker picks it up in a moment.")
    if record.state is record.workflow.in_cloud:
        return lines(decided, _progress(record, now=now))
    if record.state in (State.SUCCEEDED, State.DONE):
        finished = clock.at(record.finished_at or record.updated_at)
        return lines(decided, f"✅ Finished at {finished}{clock.took(record.started_at, record.finished_at)}.")
    if record.state is State.FAILED:
        where = f" at stage {record.stage}/{record.stage_total}" if record.stage_total else ""
        reason = mrkdwn.escape(record.reason or "no reason was recorded")
        return lines(decided, f"❌ Failed{where}: {reason}")
    if record.state is State.EXPIRED:
        return (f"⌛ Expired at {clock.at(record.updated_at)}: nobody approved or rejected it in time. "
                f"Run /ackmigrate {record.workflow.command} again to ask again.")
    return _decision(record, with_reason=True)  # rejected, cancelled


def _decision(record: Record, *, with_reason: bool = False) -> str:
    verb = {State.REJECTED: "Rejected", State.CANCELLED: "Cancelled"}.get(record.state, "Approved")
    if record.decided_by is None:
        return f"{verb} at {clock.at(record.updated_at)}" if record.state is State.CANCELLED else ""
    line = f"{verb} by {mrkdwn.user(record.decided_by)}"
    if record.decided_at is not None:
        line += f" at {clock.at(record.decided_at)}"
    if with_reason and record.reason:
        line += f": {mrkdwn.escape(record.reason)}"
    return line


def _progress(record: Record, *, now: float) -> str:
    started = record.started_at or record.decided_at or record.updated_at
    elapsed = f"{clock.duration(now - started)} elapsed"
    task = f" · task {mrkdwn.code(record.task_id)}" if record.task_id else ""
    if not record.stage_total:
        return f"{STATE_ICON[record.state]} {wording(record).waiting} · {elapsed}{task}"
    name = f" {mrkdwn.escape(record.stage_name)}" if record.stage_name else ""
    return f"{STATE_ICON[record.state]} Stage {record.stage}/{record.stage_total}{name} · {elapsed}{task}"


def approval_tally(record: Record) -> str:
    """"Approvals: 1 of 2 — @bob": how far a request that needs several approvers has come."""
    given = ", ".join(mrkdwn.user(user) for user in record.approvers) or "none yet"
    return f"*Approvals: {len(record.approvals)} of {record.approvals_required}* — {given}"


def _approval_actions(record: Record, report: PrecheckReport | None) -> ActionsBlock:
    """Approve (with a confirm dialog: nothing here can be undone) and Reject; value = the record id."""
    text = _SHAPES[record.workflow].confirm(record, report)
    confirm = ConfirmObject(title=wording(record).confirm_title, text=MarkdownTextObject(text=shorten(text, 300)),
                            confirm="Approve", deny="Go back")
    return ActionsBlock(elements=[
        ButtonElement(text="Approve", action_id=record.workflow.approve_action, value=record.id, style="primary",
                      confirm=confirm),
        ButtonElement(text="Reject", action_id=record.workflow.reject_action, value=record.id),
    ])


def _migration_confirm(record: Record, report: PrecheckReport | None) -> str:
    return (f"{mrkdwn.escape(record.cluster_name)} becomes an ACK Pro cluster. This cannot be undone: "
            "there is no rollback, and the API server is unavailable for 5–10 minutes.")


def _cleanup_confirm(record: Record, report: PrecheckReport | None) -> str:
    nodes = cleanup_targets(record, report)
    text = f"Deletes {plural(len(nodes), 'master node')} from {mrkdwn.escape(record.cluster_name)}"
    if record.release_ecs:
        text += " and RELEASES their pay-as-you-go ECS instances (their disks are lost)"
    return text + ". This cannot be undone."


def _approvers_line(record: Record, approvers_label: str, two_person_rule: bool) -> str:
    line = f"Approvers: {approvers_label}"
    if record.approvals_required > 1:
        line = f"{approval_tally(record)} · {line}"
    if two_person_rule:
        line += f" · two-person rule on ({mrkdwn.user(record.requester)} cannot approve their own request)"
    return line


def cleanup_targets(record: Record, report: PrecheckReport | None) -> tuple[OldMaster, ...]:
    """The masters a cleanup deletes: named in its result, or (an older record) in its precheck."""
    masters = record.cleanup_result.masters
    if masters is None and report is not None:
        return tuple(OldMaster(m.instance_id, m.node_name, m.charge_type) for m in report.masters)
    return masters or ()


def _cleanup_targets_text(record: Record, report: PrecheckReport | None) -> str:
    targets = cleanup_targets(record, report)
    nodes = [mrkdwn.escape(m.name) for m in targets]
    instances = [mrkdwn.escape(m.instance_id) for m in targets if m.instance_id]
    shown = [f"*Nodes to delete:* {name_list(nodes) if nodes else 'none found'}"]
    if record.release_ecs:
        payg = [mrkdwn.escape(m.instance_id) for m in targets if m.instance_id and m.charge_type == "PostPaid"]
        other = [f"{mrkdwn.escape(m.instance_id)} ({charge_words(m.charge_type)})"
                 for m in targets if m.instance_id and m.charge_type not in ("PostPaid", "")]
        if payg:
            shown.append(f"*ECS instances:* will be *RELEASED* (pay-as-you-go, ECS DeleteInstances) — "
                         f"{name_list(payg)}")
        if other:
            shown.append(f"*Not released by ackmigrate:* {', '.join(other)} — a subscription instance can only be "
                         "released from the ECS console; the result names the step.")
    else:
        kept = name_list(instances) if instances else "none"
        shown.append(f"*ECS instances:* kept, and still billed — {kept}. "
                     "Release them yourself, or ask for a cleanup with `--release-ecs`.")
    if record.state is State.DONE:
        result = record.cleanup_result
        deleted = [mrkdwn.escape(n) for n in result.nodes_deleted]
        released = [mrkdwn.escape(i) for i in result.instances_released]
        shown.append(f"*Deleted:* {name_list(deleted) if deleted else 'no nodes'}")
        if released:
            shown.append(f"*Released:* {name_list(released)}")
    return "\n".join(shown)


def offers_cleanup(record: Record) -> bool:
    """A succeeded migration offers "Clean up old masters" until a cleanup has followed it."""
    return (wording(record).follow_up is CLEANUP and record.state is record.workflow.succeeded
            and not record.migration_result.cleanup_id)


def cleanup_button(record: Record) -> ActionsBlock:
    return ActionsBlock(elements=[ButtonElement(
        text="Clean up old masters", action_id=ids.REQUEST_CLEANUP, value=record.id)])


def masters_billing(report: PrecheckReport | None) -> str:
    """The old masters after a migration: out of the cluster, and what their instances cost."""
    masters = report.masters if report is not None else ()
    if not masters:
        return "The old masters are no longer part of the cluster and their ECS instances are still billed."
    charges: dict[str, int] = {}
    for master in masters:
        charge = charge_words(master.charge_type)
        charges[charge] = charges.get(charge, 0) + 1
    billing = ", ".join(f"{count} {charge}" for charge, count in charges.items())
    return (f"The {plural(len(masters), 'old master')} are Unknown (no longer part of the cluster) "
            f"and still billed ({billing}).")


def _request_fallback(record: Record) -> str:
    return (f"{wording(record).title} request for {mrkdwn.escape(record.cluster_name)} ({record.cluster_id}) by "
            f"{mrkdwn.user(record.requester)}: {STATE_WORDS[record.state]}")


@dataclass(frozen=True)
class _Shape:
    """What one workflow's request message shows besides what every request shows."""

    details: Callable[[Record, PrecheckReport | None], str]  # below the checklist ("" for nothing)
    confirm: Callable[[Record, PrecheckReport | None], str]  # the Approve button's confirm dialog


def _no_details(record: Record, report: PrecheckReport | None) -> str:
    return ""


_SHAPES: dict[Workflow, _Shape] = {
    MIGRATION: _Shape(details=_no_details, confirm=_migration_confirm),
    CLEANUP: _Shape(details=_cleanup_targets_text, confirm=_cleanup_confirm),
}
