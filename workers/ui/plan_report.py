"""What the channel and the terminal show of a fleet plan: the progress line, and the readiness report.

Pure: from the plan's progress or a PlanReport to text and Block Kit (slack_sdk's models, validated by to_dict()).
The report is a summary that fits a message (Slack: 50 blocks, 3000 characters a section); the full table
goes with it as a CSV.
"""

from __future__ import annotations

from typing import Protocol

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from workers import mrkdwn
from workers.fleet.report import PlanReport, QuotaLine, Readiness
from workers.ui.fleet_words import QUOTA_NOTE
from workers.ui.kit import Message

SHOWN_BLOCKERS = 8
SHOWN_NAMES = 6
_SECTION_LIMIT = 2900


class Progress(Protocol):
    """How far a plan has come (`workers.fleet.plan.Progress`): places listed, then clusters checked."""

    @property
    def total(self) -> int | None: ...

    @property
    def checked(self) -> int: ...

    @property
    def places_done(self) -> int: ...

    @property
    def places_total(self) -> int: ...


CHART_TITLE = "Fleet readiness by account and region"
TABLE_TITLE = "Fleet plan: every cluster"


def nothing_to_plan(error: object) -> str:
    """The scope named no configured account or region (workers.fleet.scope says which)."""
    return f"Nothing to plan: {error}"


def files_comment(user: str) -> str:
    return f"Readiness chart and the full table, requested by {mrkdwn.user(user)}."


def progress_text(progress: Progress, *, scope: str) -> str:
    if progress.total is None:
        return f"Planning the fleet ({scope}): discovering clusters, {progress.places_done} of " \
               f"{progress.places_total} account/region pairs listed…"
    return f"Planning the fleet ({scope}): prechecks on {progress.checked} of {progress.total} dedicated " \
           f"clusters done {bar(progress.checked, progress.total)}"


def bar(done: int, total: int, width: int = 20) -> str:
    filled = width if total == 0 else round(width * done / total)
    return "▓" * filled + "░" * (width - filled)


def progress_message(progress: Progress, *, scope: str) -> Message:
    text = progress_text(progress, scope=scope)
    return Message(text=text, blocks=[SectionBlock(text=MarkdownTextObject(text=mrkdwn.escape(text))).to_dict()])


def counts_line(report: PlanReport) -> str:
    c = report.counts
    return (f"{c[Readiness.READY]} ready · {c[Readiness.BLOCKED]} blocked · {c[Readiness.PRO]} already Pro "
            f"({report.to_migrate} dedicated to migrate)")


def report_message(report: PlanReport) -> Message:
    """The readiness report as the channel shows it, updated in place over the progress message."""
    blocks: list[Block] = [
        HeaderBlock(text="Fleet readiness"),
        SectionBlock(text=MarkdownTextObject(text=f"*{counts_line(report)}*\n"
                                             f"{mrkdwn.escape(report.scope)} · checked in {report.seconds:.0f} s")),
        DividerBlock(),
        SectionBlock(text=MarkdownTextObject(text=_cut("*By account and region*\n" + _places(report)))),
    ]
    if report.blockers:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_cut("*What blocks, most clusters first*\n"
                                                                     + _blockers(report)))))
    blocks.append(SectionBlock(text=MarkdownTextObject(text=_cut("*Quotas (DescribeUserQuota)*\n" + _quotas(report)))))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(
        text="The chart and the full table (CSV) are in the thread. `/ackmigrate precheck CLUSTER` shows one "
             "cluster's checks.")]))
    text = f"Fleet readiness: {counts_line(report)}"
    if report.quota_warnings:
        text += f" · quota warning for {', '.join(q.account for q in report.quota_warnings)}"
    return Message(text=text, blocks=[b.to_dict() for b in blocks])


def report_lines(report: PlanReport) -> list[str]:
    """The same report for a terminal (plain text)."""
    lines = [f"Fleet readiness ({report.scope}): {counts_line(report)}", "", "By account and region:"]
    lines += [_place_line(p.account, p.region, p.ready, p.blocked, p.pro, p.error) for p in report.places]
    if report.blockers:
        lines += ["", "What blocks, most clusters first:"]
        for b in report.blockers:
            lines.append(f"  {len(b.clusters):>4}  {b.title} ({b.check_id}): {', '.join(b.clusters)}")
            lines.append(f"        fix: {b.fix}")
    lines += ["", "Quotas (DescribeUserQuota):"] + [f"  {_quota_text(q)}" for q in report.quotas]
    lines += [f"  {QUOTA_NOTE}"]
    return lines


def _places(report: PlanReport) -> str:
    return "\n".join(
        "• " + mrkdwn.escape(_place_line(p.account, p.region, p.ready, p.blocked, p.pro, p.error).strip())
        for p in report.places
    ) or "• nothing in scope"


def _place_line(account: str, region: str, ready: int, blocked: int, pro: int, error: str) -> str:
    if error:
        return f"  {account}/{region}: could not list the clusters: {error}"
    return f"  {account}/{region}: {ready} ready, {blocked} blocked, {pro} already Pro"


def _blockers(report: PlanReport) -> str:
    lines = []
    for b in report.blockers[:SHOWN_BLOCKERS]:
        names = ", ".join(b.clusters[:SHOWN_NAMES])
        more = f" and {len(b.clusters) - SHOWN_NAMES} more" if len(b.clusters) > SHOWN_NAMES else ""
        lines.append(f"• *{len(b.clusters)}* · {mrkdwn.escape(b.title)}: {mrkdwn.escape(names + more)}\n"
                     f"    _Fix:_ {mrkdwn.escape(b.fix)}")
    if len(report.blockers) > SHOWN_BLOCKERS:
        lines.append(f"…and {len(report.blockers) - SHOWN_BLOCKERS} more kinds of blocker (see the CSV)")
    return "\n".join(lines)


def _quotas(report: PlanReport) -> str:
    lines = [("⚠️ " if q.may_exceed else "• ") + mrkdwn.escape(_quota_text(q)) for q in report.quotas]
    return "\n".join([*lines, f"_{QUOTA_NOTE}_"])


def _quota_text(q: QuotaLine) -> str:
    if q.error:
        return f"{q.account}: quotas unknown ({q.error}); {q.to_migrate} clusters to migrate"
    text = (f"{q.account}: {q.to_migrate} to migrate, {q.managed_now} managed now; managed-cluster quota "
            f"{_num(q.managed_quota)}, cluster quota {_num(q.cluster_quota)}")
    if q.may_exceed:
        text += (f" — if migrated clusters count as managed, {q.managed_now + q.to_migrate} would exceed the "
                 f"managed quota of {q.managed_quota}: ask for more in Quota Center first")
    return text


def _num(value: int | None) -> str:
    return "unknown" if value is None else str(value)


def _cut(text: str) -> str:
    return text if len(text) <= _SECTION_LIMIT else text[: _SECTION_LIMIT - 1] + "…"
