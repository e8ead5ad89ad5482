"""Precheck results as plain data: stored in Redis as JSON, rendered by the bot and the terminal.

A result says exactly what was found (the summary) and what to do (the fix), so the person approving a
migration that cannot be rolled back reads facts, not a traffic light.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

SUMMARY_LIMIT = 400


class Outcome(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"  # the check could not run (API error, permission, timeout): never read as a pass
    INFO = "info"  # not checkable, always shown (whitelist, no-rollback)
    # Does not apply to this cluster (an already-managed cluster has no masters to check). Neither a pass
    # nor a block: it is only ever given next to the failure that makes it moot, which blocks on its own.
    SKIP = "skip"


class Severity(StrEnum):
    """What a non-passing outcome of this check means: `fail` blocks approval, `warn` informs."""

    FAIL = "fail"
    WARN = "warn"
    INFO = "info"


BLOCKING = (Outcome.FAIL, Outcome.ERROR)


@dataclass(frozen=True)
class CheckResult:
    id: str
    title: str
    outcome: Outcome
    severity: Severity
    summary: str
    fix: str = ""
    doc_url: str = ""

    @property
    def blocks(self) -> bool:
        return self.outcome in BLOCKING

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "outcome": self.outcome.value, "severity": self.severity.value}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        return cls(
            id=str(data["id"]),
            title=str(data["title"]),
            outcome=Outcome(data["outcome"]),
            severity=Severity(data["severity"]),
            summary=str(data.get("summary", "")),
            fix=str(data.get("fix", "")),
            doc_url=str(data.get("doc_url", "")),
        )


@dataclass(frozen=True)
class MasterInstance:
    """An old master: its ECS instance stays billed after the migration until someone releases it."""

    instance_id: str
    node_name: str
    charge_type: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MasterInstance:
        return cls(
            instance_id=str(data["instance_id"]),
            node_name=str(data.get("node_name", "")),
            charge_type=str(data.get("charge_type", "")),
        )


@dataclass(frozen=True)
class PrecheckReport:
    """Everything the request message shows about one cluster, and the checks' results."""

    cluster_id: str
    cluster_name: str
    region_id: str
    current_version: str
    cluster_type: str
    cluster_spec: str
    state: str
    master_count: int | None
    worker_count: int | None
    bucket: str | None
    bucket_endpoint: str | None
    masters: tuple[MasterInstance, ...] = ()
    cgpu: str = ""
    addons: tuple[str, ...] = ()
    checks: tuple[CheckResult, ...] = field(default_factory=tuple)
    checked_at: str = ""

    @property
    def verdict(self) -> Outcome:
        """`fail` if anything failed or could not be checked; `warn` if anything warns; else `pass`.
        A skipped check weighs nothing: the failure that made it moot decides the verdict."""
        outcomes = {check.outcome for check in self.checks}
        if outcomes & set(BLOCKING):
            return Outcome.FAIL
        if Outcome.WARN in outcomes:
            return Outcome.WARN
        return Outcome.PASS

    @property
    def blocking(self) -> tuple[CheckResult, ...]:
        return tuple(check for check in self.checks if check.blocks)

    def check(self, check_id: str) -> CheckResult:
        return next(check for check in self.checks if check.id == check_id)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["masters"] = [master.to_dict() for master in self.masters]
        data["addons"] = list(self.addons)
        data["checks"] = [check.to_dict() for check in self.checks]
        data["verdict"] = self.verdict.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PrecheckReport:
        return cls(
            cluster_id=str(data.get("cluster_id", "")),
            cluster_name=str(data.get("cluster_name", "")),
            region_id=str(data.get("region_id", "")),
            current_version=str(data.get("current_version", "")),
            cluster_type=str(data.get("cluster_type", "")),
            cluster_spec=str(data.get("cluster_spec", "")),
            state=str(data.get("state", "")),
            master_count=_optional_int(data.get("master_count")),
            worker_count=_optional_int(data.get("worker_count")),
            bucket=data.get("bucket"),
            bucket_endpoint=data.get("bucket_endpoint"),
            masters=tuple(MasterInstance.from_dict(m) for m in data.get("masters", [])),
            cgpu=str(data.get("cgpu", "")),
            addons=tuple(str(a) for a in data.get("addons", [])),
            checks=tuple(CheckResult.from_dict(c) for c in data.get("checks", [])),
            checked_at=str(data.get("checked_at", "")),
        )


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def shorten(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """Cut a summary to what fits a Slack section and a terminal line; say that it was cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def name_list(names: list[str], *, limit: int = 8, max_chars: int = 260) -> str:
    """`a, b, c and 12 more`: enough names to act on, short enough that the count is never cut off."""
    shown: list[str] = []
    for name in names[:limit]:
        if shown and len(", ".join([*shown, name])) > max_chars:
            break
        shown.append(name)
    text = ", ".join(shown)
    if len(names) > len(shown):
        text += f" and {len(names) - len(shown)} more"
    return text
