"""A precheck or verification report as the checklist every surface shows: worst first, one line a check.

Failures come first (what must be fixed), then what could not be checked, warnings, and the rest; a
failed or unchecked line carries its one-line fix and doc link. Used by the request message, the private
precheck answer, the verification reply and `/ackmigrate status CLUSTER`.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block

from workers import mrkdwn
from workers.checks.model import CheckResult, Outcome, PrecheckReport, shorten
from workers.domain.records import Record
from workers.ui.kit import MAX_CHECK_SECTIONS, SECTION_LIMIT, context, plural, section

ICON = {Outcome.PASS: "✅", Outcome.WARN: "⚠️", Outcome.FAIL: "❌", Outcome.ERROR: "❗", Outcome.INFO: "ℹ️",
        Outcome.SKIP: "➖"}
_RANK = {Outcome.FAIL: 0, Outcome.ERROR: 1, Outcome.WARN: 2, Outcome.INFO: 3, Outcome.PASS: 4, Outcome.SKIP: 5}
FOLLOW_UP_CHECKS = ("cgpu", "addons", "terway-pod-networking")
"""Warnings that say what to do after the migration (cGPU upgrade, add-ons and terway-controlplane to reinstall)."""


def precheck_blocks(report: PrecheckReport | None) -> list[Block]:
    if report is None:
        return []
    checks = ordered(report.checks)
    return [section(f"*Prechecks*  {tally(checks)}"), *checklist(checks)]


def checklist(checks: Sequence[CheckResult]) -> list[Block]:
    """The check lines in sections; a report too long for one message keeps its first (worst) checks."""
    sections: list[str] = []
    shown = 0
    for line in (check_line(check) for check in checks):
        if sections and len(sections[-1]) + 1 + len(line) <= SECTION_LIMIT:
            sections[-1] += "\n" + line
        elif len(sections) < MAX_CHECK_SECTIONS:
            sections.append(line)
        else:
            break
        shown += 1
    blocks: list[Block] = [section(text) for text in sections]
    if shown < len(checks):
        hidden = plural(len(checks) - shown, "more check")
        blocks.append(context(f"…and {hidden}: `ackmigrate precheck` in a terminal lists them all."))
    return blocks


def ordered(checks: Sequence[CheckResult]) -> list[CheckResult]:
    """Failures first (what must be fixed), then what could not be checked, warnings, and the rest."""
    return sorted(checks, key=lambda check: _RANK.get(check.outcome, 6))


def blocking(report: PrecheckReport | None) -> list[CheckResult]:
    return [check for check in (report.checks if report else ()) if check.blocks]


def tally(checks: Sequence[CheckResult]) -> str:
    def count(outcome: Outcome) -> int:
        return sum(1 for check in checks if check.outcome is outcome)

    parts = [f"✅ {count(Outcome.PASS)} passed", f"⚠️ {plural(count(Outcome.WARN), 'warning')}",
             f"❌ {count(Outcome.FAIL)} failed"]
    if count(Outcome.ERROR):
        parts.append(f"❗ {count(Outcome.ERROR)} could not be checked")
    if count(Outcome.SKIP):  # did not apply: counted apart, never as passed
        parts.append(f"➖ {count(Outcome.SKIP)} skipped")
    return " · ".join(parts)


def check_line(check: CheckResult) -> str:
    title = mrkdwn.escape(check.title or check.id)
    line = f"{ICON.get(check.outcome, '•')} *{title}* — {mrkdwn.escape(shorten(check.summary))}"
    if check.outcome is Outcome.PASS:
        return line
    help_parts = []
    if check.fix:
        help_parts.append(mrkdwn.escape(shorten(check.fix)))
    if check.doc_url:
        help_parts.append(mrkdwn.link(check.doc_url, "doc"))
    if help_parts:
        line += "\n      ↳ " + " ".join(help_parts)
    return line


def follow_ups(report: PrecheckReport | None) -> list[CheckResult]:
    """The warnings that say what to do after the migration."""
    return [c for c in (report.checks if report else ()) if c.outcome is Outcome.WARN and c.id in FOLLOW_UP_CHECKS]


def fix_text(check: CheckResult, *, with_fix: bool = True) -> str:
    """A check's fix (or its summary when it has none, or `with_fix` is off), with its doc link."""
    text = mrkdwn.escape(shorten((check.fix if with_fix else "") or check.summary))
    if check.doc_url:
        text += " " + mrkdwn.link(check.doc_url, "doc")
    return text


def precheck_of(record: Record) -> PrecheckReport | None:
    """The record's last precheck report, typed; None before the prechecks have run."""
    return record.precheck


def sizes(report: PrecheckReport | None) -> str:
    """"3 masters, 12 workers", or as much of it as is known."""
    parts = []
    if report is not None and report.master_count is not None:
        parts.append(plural(report.master_count, "master"))
    if report is not None and report.worker_count is not None:
        parts.append(plural(report.worker_count, "worker"))
    return ", ".join(parts)
