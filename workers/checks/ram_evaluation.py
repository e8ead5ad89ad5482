"""RAM's policy grammar and evaluation, as far as the ram-policy check needs it: may a principal holding
this policy write and read *every* object of one OSS bucket?

What RAM documents, and how it is read here:
- Elements (https://www.alibabacloud.com/help/en/ram/policy-elements, "Policy structure and syntax"
  https://www.alibabacloud.com/help/document_detail/93739.html): a document has `Statement`, one object or a
  list; each statement has `Effect` (`Allow`/`Deny`), `Action` or `NotAction`, `Resource` or `NotResource`
  (a string or a list), and optionally `Condition`. Action names are `<ram-code>:<action>`, matched without
  regard to case; `*` is a wildcard in actions and resources (`oss:*`, `oss:Put*`, `*`).
- OSS resources are `acs:oss:<region>:<account>:<bucket>/<object>`; region and account may be given
  (`acs:oss:cn-hangzhou:1234567890:bucket/*`) or `*`.
- Evaluation (https://www.alibabacloud.com/help/en/ram/policy-evaluation-process): deny by default; an
  explicit Deny overrides any Allow.

The question is about *every* object the migration may write, whose keys we do not know, so the two effects
are read in opposite, conservative directions: an Allow counts only when it covers all objects of the bucket
(`bucket/*`, `*`, …), a Deny counts as soon as it could match any of them. What cannot be evaluated is never
read as allowed: an Allow with a `Condition` does not count, a Deny with one counts as a Deny that may apply,
and a statement RAM would not accept (no Effect, no Action) is reported rather than guessed at.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from workers.checks.model import shorten
from workers.checks.ram_patterns import ResourcePattern

NEEDED_ACTIONS = ("oss:PutObject", "oss:GetObject")


@dataclass(frozen=True)
class BucketObjects:
    """Every object of one bucket, as RAM names them. `account` is the bucket owner's account id (OSS
    reports it as the bucket's owner); empty when unknown, then only a `*` account segment can cover it."""

    bucket: str
    region: str
    account: str = ""

    def segments(self) -> tuple[str, str, str, str | None]:
        """acs, service, region, account (None when unknown) of `acs:oss:REGION:ACCOUNT:BUCKET/OBJECT`."""
        return "acs", "oss", self.region, self.account or None

    @property
    def prefix(self) -> str:
        """The relative id up to the object key."""
        return f"{self.bucket}/"


@dataclass(frozen=True)
class StatementFinding:
    """One statement that decides (or might decide) the answer, numbered from 1 as an operator counts."""

    number: int
    statement: dict[str, Any]
    actions: tuple[str, ...]
    why: str

    def describe(self) -> str:
        """`statement 2 ({"Effect":"Deny",…})`: the number to find it by, and enough of it to recognise."""
        return f"statement {self.number} ({shorten(json.dumps(self.statement, separators=(',', ':')), 160)})"


@dataclass(frozen=True)
class PolicyVerdict:
    """What the document means for the bucket's objects."""

    allowed: tuple[str, ...]  # needed actions some unconditional Allow grants on every object
    denied: tuple[StatementFinding, ...] = ()  # unconditional Denies that match some object
    maybe_denied: tuple[StatementFinding, ...] = ()  # Denies under a Condition we cannot evaluate
    ignored_allows: tuple[StatementFinding, ...] = ()  # Allows that would grant, but only under a Condition
    unreadable: tuple[StatementFinding, ...] = field(default=())  # statements RAM would refuse

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(action for action in NEEDED_ACTIONS if action not in self.allowed)

    @property
    def allows_bucket(self) -> bool:
        """Only a clear yes: every action granted, nothing that denies or might deny, nothing unreadable."""
        return not self.missing and not self.denied and not self.maybe_denied and not self.unreadable


def evaluate(document_json: str, objects: BucketObjects) -> PolicyVerdict:
    """Read the document as RAM would for PutObject/GetObject on every object of the bucket.

    Raises ValueError when the text is not a JSON policy document at all.
    """
    document = json.loads(document_json)
    if not isinstance(document, dict):
        raise ValueError("the policy document is not a JSON object")
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        raise ValueError("the policy document has no Statement list")
    allowed: set[str] = set()
    denied: list[StatementFinding] = []
    maybe_denied: list[StatementFinding] = []
    ignored: list[StatementFinding] = []
    unreadable: list[StatementFinding] = []
    for number, statement in enumerate(statements, 1):
        if not isinstance(statement, dict):
            unreadable.append(StatementFinding(number, {"_": statement}, (), "not an object"))
            continue
        problem = _unreadable(statement)
        if problem:
            unreadable.append(StatementFinding(number, statement, (), problem))
            continue
        effect = str(statement["Effect"]).lower()
        conditional = bool(statement.get("Condition"))
        if effect == "allow":
            granted = tuple(a for a in NEEDED_ACTIONS if _applies_to_action(statement, a)
                            and _resources_cover_all(statement, objects))
            if granted and conditional:
                ignored.append(StatementFinding(number, statement, granted, "Allow under a Condition"))
            elif granted:
                allowed.update(granted)
        else:
            hit = tuple(a for a in NEEDED_ACTIONS if _applies_to_action(statement, a)
                        and _resources_touch_any(statement, objects))
            if hit:
                finding = StatementFinding(number, statement, hit, "Deny" + (" under a Condition" if conditional else ""))
                (maybe_denied if conditional else denied).append(finding)
    return PolicyVerdict(
        allowed=tuple(a for a in NEEDED_ACTIONS if a in allowed),
        denied=tuple(denied),
        maybe_denied=tuple(maybe_denied),
        ignored_allows=tuple(ignored),
        unreadable=tuple(unreadable),
    )


def _unreadable(statement: dict[str, Any]) -> str:
    """Why RAM would not accept the statement ("" when it would): the grammar requires these elements."""
    if str(statement.get("Effect", "")).lower() not in ("allow", "deny"):
        return "Effect must be Allow or Deny"
    if ("Action" in statement) == ("NotAction" in statement):
        return "exactly one of Action and NotAction is required"
    if ("Resource" in statement) == ("NotResource" in statement):
        return "exactly one of Resource and NotResource is required"
    return ""


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _action_matches(patterns: Iterable[str], action: str) -> bool:
    # Action names are case-insensitive in RAM (policy elements doc); `*` and `?` are wildcards.
    return any(fnmatchcase(action.lower(), pattern.lower()) for pattern in patterns)


def _applies_to_action(statement: dict[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not _action_matches(_strings(statement["NotAction"]), action)
    return _action_matches(_strings(statement["Action"]), action)


def _resources_cover_all(statement: dict[str, Any], objects: BucketObjects) -> bool:
    """An Allow's resources reach every object of the bucket (for every account when the account is unknown)."""
    if "NotResource" in statement:
        # Everything except the listed resources: all objects only if no exclusion could touch one of them.
        return not any(ResourcePattern(p).could_match(objects.segments(), objects.prefix) for p in _strings(statement["NotResource"]))
    return any(ResourcePattern(p).covers_all(objects.segments(), objects.prefix) for p in _strings(statement["Resource"]))


def _resources_touch_any(statement: dict[str, Any], objects: BucketObjects) -> bool:
    """A Deny's resources could match some object of the bucket (for some account when it is unknown)."""
    if "NotResource" in statement:
        # The Deny applies everywhere except the listed resources: it misses the bucket only if they cover it all.
        return not any(ResourcePattern(p).covers_all(objects.segments(), objects.prefix) for p in _strings(statement["NotResource"]))
    return any(ResourcePattern(p).could_match(objects.segments(), objects.prefix) for p in _strings(statement["Resource"]))
