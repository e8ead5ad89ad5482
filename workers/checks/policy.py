"""The master RAM role's policy and the OSS statement the migration needs in it.

Pure functions over the policy document (a JSON string, as RAM stores it), shared by the ram-policy
check and the migrate job that adds the statement when ACKMIGRATE_GRANT_RAM_POLICY allows it.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

from workers.checks.catalog import result
from workers.checks.model import CheckResult, Outcome
from workers.cloud.models import AttachedPolicy, ClusterDetail, ClusterResource

MASTER_ROLE_PREFIX = "KubernetesMasterRole-"
MASTER_POLICY_PREFIX = "k8sMasterRolePolicy"
NEEDED_ACTIONS = ("oss:PutObject", "oss:GetObject")
RAM_ROLE_RESOURCE_TYPE = "ALIYUN::RAM::Role"


def oss_statement(bucket: str) -> dict[str, Any]:
    """The statement the seed procedure tells operators to add, verbatim."""
    return {
        "Action": list(NEEDED_ACTIONS),
        "Effect": "Allow",
        "Resource": [f"acs:oss:*:*:{bucket}/*"],
    }


def policy_with_oss_statement(document_json: str, bucket: str) -> str:
    """The document with the statement appended; unchanged (same text) when it already allows the bucket."""
    if policy_allows_bucket(document_json, bucket):
        return document_json
    document = json.loads(document_json)
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    document["Statement"] = [*(statements or []), oss_statement(bucket)]
    document.setdefault("Version", "1")
    return json.dumps(document, indent=2)


def policy_allows_bucket(document_json: str, bucket: str) -> bool:
    """True when Allow statements grant both actions on the bucket's objects and no Deny takes one away."""
    statements = _statements(json.loads(document_json))
    target = f"acs:oss:*:*:{bucket}/ackmigrate-object"

    def granted(effect: str, action: str) -> bool:
        return any(
            str(s.get("Effect", "")).lower() == effect
            and _matches(_as_list(s.get("Action")), action)
            and _matches(_as_list(s.get("Resource")), target)
            for s in statements
        )

    return all(granted("allow", action) and not granted("deny", action) for action in NEEDED_ACTIONS)


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


def check_ram_policy(
    *, role_name: str, policy_name: str, document_json: str, bucket: str, will_grant: bool
) -> CheckResult:
    try:
        allowed = policy_allows_bucket(document_json, bucket)
    except (ValueError, AttributeError, TypeError) as error:
        return result(
            "ram-policy",
            Outcome.ERROR,
            f"Policy {policy_name} of {role_name} is not a readable document: {error}.",
        )
    if allowed:
        return result(
            "ram-policy",
            Outcome.PASS,
            f"{policy_name} (role {role_name}) allows oss:PutObject and oss:GetObject on {bucket}/*.",
        )
    statement = json.dumps(oss_statement(bucket))
    if will_grant:
        return result(
            "ram-policy",
            Outcome.WARN,
            f"{policy_name} (role {role_name}) does not allow oss:PutObject/oss:GetObject on {bucket}/*; "
            "the migrate job will add the statement (ACKMIGRATE_GRANT_RAM_POLICY=true).",
            f"Nothing to do; the statement added will be {statement}.",
        )
    return result(
        "ram-policy",
        Outcome.FAIL,
        f"{policy_name} (role {role_name}) does not allow oss:PutObject/oss:GetObject on {bucket}/*.",
        f"Add this statement to {policy_name} (RAM console → Policies → Modify Policy Document): {statement}",
    )


def _statements(document: Any) -> list[dict[str, Any]]:
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    return [s for s in statements or [] if isinstance(s, dict)]


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _matches(patterns: list[str], value: str) -> bool:
    # RAM matches actions case-insensitively and treats * in patterns as a wildcard.
    return any(fnmatchcase(value.lower(), pattern.lower()) for pattern in patterns)
