"""The master RAM role's policy and the OSS statement the migration needs in it.

Pure functions over the policy document (a JSON string, as RAM stores it), shared by the ram-policy
check and the migrate job that adds the statement when ACKMIGRATE_GRANT_RAM_POLICY allows it. How a
document is read is workers.checks.ram_evaluation (RAM's grammar and evaluation order); this module
turns the reading into the check's words, and plans the grant within RAM's limits.

RAM's limits for CreatePolicyVersion (https://www.alibabacloud.com/help/en/ram/developer-reference/api-ram-2015-05-01-createpolicyversion,
https://help.aliyun.com/document_detail/28720.html): a document of at most 6,144 bytes (HTTP 400
`InvalidParameter.PolicyDocument.Length`), at most 5 versions per policy (HTTP 409
`LimitExceeded.Policy.Version`). The grant measures UTF-8 bytes, never fewer than the characters, so a
document it sends is not refused for its length, and it sends JSON without indentation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from workers.checks.catalog import result
from workers.checks.model import CheckResult, Outcome
from workers.checks.ram_evaluation import NEEDED_ACTIONS, BucketObjects, PolicyVerdict, evaluate
from workers.cloud.models import AttachedPolicy, ClusterDetail, ClusterResource, PolicyVersion

MASTER_ROLE_PREFIX = "KubernetesMasterRole-"
MASTER_POLICY_PREFIX = "k8sMasterRolePolicy"
RAM_ROLE_RESOURCE_TYPE = "ALIYUN::RAM::Role"
MAX_DOCUMENT_BYTES = 6144
MAX_POLICY_VERSIONS = 5


class GrantImpossible(Exception):
    """The statement cannot be added without breaking one of RAM's limits; str() says which, with the size."""


@dataclass(frozen=True)
class GrantPlan:
    """What the migrate job sends RAM: the compact document, and the version to delete first (if any)."""

    document: str
    remove_version: PolicyVersion | None


def oss_statement(bucket: str) -> dict[str, Any]:
    """The statement the seed procedure tells operators to add, verbatim."""
    return {
        "Action": list(NEEDED_ACTIONS),
        "Effect": "Allow",
        "Resource": [f"acs:oss:*:*:{bucket}/*"],
    }


def compact(document: Any) -> str:
    """JSON as RAM counts it: no indentation, no spaces after separators, non-ASCII kept as is."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def policy_with_oss_statement(document_json: str, bucket: str) -> str:
    """The document with the statement appended, compact. Raises GrantImpossible when it would be over
    RAM's size limit, naming the size, so the caller can say so before calling RAM."""
    document = json.loads(document_json)
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    document["Statement"] = [*(statements or []), oss_statement(bucket)]
    document.setdefault("Version", "1")
    text = compact(document)
    size = len(text.encode())
    if size > MAX_DOCUMENT_BYTES:
        raise GrantImpossible(
            f"with the OSS statement for {bucket} the policy document would be {size:,} bytes, over RAM's "
            f"limit of {MAX_DOCUMENT_BYTES:,} bytes per document"
        )
    return text


def plan_grant(*, document_json: str, bucket: str, versions: list[PolicyVersion]) -> GrantPlan:
    """The new default version's document, and, when the policy already has RAM's 5 versions, the oldest
    non-default one to delete first (the default one is what RAM enforces now and is never removed)."""
    document = policy_with_oss_statement(document_json, bucket)
    if len(versions) < MAX_POLICY_VERSIONS:
        return GrantPlan(document, None)
    candidates = [v for v in versions if not v.is_default]
    if not candidates:
        raise GrantImpossible(f"the policy has {len(versions)} versions and none of them can be removed")
    return GrantPlan(document, min(candidates, key=_age))


def _age(version: PolicyVersion) -> tuple[str, int]:
    # RAM's CreateDate is ISO 8601 UTC, so text order is time order; v1 < v2 < … breaks a tie.
    digits = version.version_id.lstrip("v")
    return version.create_date, int(digits) if digits.isdigit() else 0


def master_role_name(*, detail: ClusterDetail, resources: list[ClusterResource]) -> str | None:
    """The dedicated cluster's master role: a RAM role resource of its stack, else a stack parameter
    whose value is `KubernetesMasterRole-…`."""
    for resource in resources:
        if resource.resource_type == RAM_ROLE_RESOURCE_TYPE and resource.instance_id.startswith(
            MASTER_ROLE_PREFIX
        ):
            return resource.instance_id
    for value in detail.parameters.values():
        if value.startswith(MASTER_ROLE_PREFIX):
            return value
    return None


def master_policy(policies: list[AttachedPolicy]) -> AttachedPolicy | None:
    return next((p for p in policies if p.name.startswith(MASTER_POLICY_PREFIX)), None)


def check_ram_policy_without_bucket() -> CheckResult:
    """No valid bucket was named: there is nothing to look for in the master role's policy."""
    return result(
        "ram-policy",
        Outcome.WARN,
        "No valid bucket named, so the master role policy was not checked.",
        "Name the bucket the migration will use (--bucket B).",
    )


def check_ram_policy(
    *, role_name: str, policy_name: str, document_json: str, objects: BucketObjects, will_grant: bool
) -> CheckResult:
    bucket = objects.bucket
    try:
        verdict = evaluate(document_json, objects)
    except (ValueError, AttributeError, TypeError) as error:
        return result(
            "ram-policy",
            Outcome.ERROR,
            f"Policy {policy_name} of {role_name} is not a readable document: {error}.",
        )
    where = f"{policy_name} (role {role_name})"
    if verdict.allows_bucket:
        return result(
            "ram-policy",
            Outcome.PASS,
            f"{where} allows oss:PutObject and oss:GetObject on {bucket}/*.",
        )
    blocking = _blocking_statements(verdict, where, bucket)
    if blocking is not None:
        return blocking
    statement = json.dumps(oss_statement(bucket))
    missing = "/".join(verdict.missing)
    ignored = "".join(
        f" {finding.describe().capitalize()} would allow {'/'.join(finding.actions)} but only under a "
        "Condition, which is not counted." for finding in verdict.ignored_allows
    )
    if will_grant:
        return result(
            "ram-policy",
            Outcome.WARN,
            f"{where} does not allow {missing} on {bucket}/*;{ignored} the migrate job will add the statement "
            "(ACKMIGRATE_GRANT_RAM_POLICY=true).",
            f"Nothing to do; the statement added will be {statement}.",
        )
    return result(
        "ram-policy",
        Outcome.FAIL,
        f"{where} does not allow {missing} on {bucket}/*.{ignored}",
        f"Add this statement to {policy_name} (RAM console → Policies → Modify Policy Document): {statement}",
    )


def _blocking_statements(verdict: PolicyVerdict, where: str, bucket: str) -> CheckResult | None:
    """A Deny (certain or possible) or an unreadable statement: adding an Allow cannot help, since Deny
    wins, so this fails whether or not granting is on, and names the statement to change."""
    if verdict.denied or verdict.maybe_denied:
        findings = [*verdict.denied, *verdict.maybe_denied]
        lines = "; ".join(
            f"{f.describe()} denies {'/'.join(f.actions)}"
            + (" under a Condition that may apply" if f in verdict.maybe_denied else "")
            for f in findings
        )
        return result(
            "ram-policy",
            Outcome.FAIL,
            f"{where} denies the master role access to objects of {bucket}: {lines}. A Deny wins over any Allow.",
            f"Remove or narrow that Deny so it does not match acs:oss:*:*:{bucket}/*; adding an Allow cannot help.",
        )
    if verdict.unreadable:
        lines = "; ".join(f"{f.describe()}: {f.why}" for f in verdict.unreadable)
        return result(
            "ram-policy",
            Outcome.FAIL,
            f"{where} has statements that cannot be evaluated, so the grant cannot be confirmed: {lines}.",
            "Fix those statements in the RAM console (Policies → Modify Policy Document).",
        )
    return None
