"""RAM (API 2015-05-01): the master role's policy, read for the check and rewritten by the migrate job."""

from __future__ import annotations

from typing import Any

from workers.cloud.acs import AcsTransport
from workers.cloud.models import AttachedPolicy, PolicyChange, PolicyVersion
from workers.cloud.rpc import rpc_call

SERVICE = "ram"
API_VERSION = "2015-05-01"


class RamClient:
    def __init__(self, transport: AcsTransport) -> None:
        self._transport = transport

    def list_policies_for_role(self, role_name: str) -> list[AttachedPolicy]:
        body = self._call("ListPoliciesForRole", {"RoleName": role_name})
        rows = (body.get("Policies") or {}).get("Policy") or []
        return [
            AttachedPolicy(
                name=str(row.get("PolicyName") or ""),
                policy_type=str(row.get("PolicyType") or ""),
                default_version=str(row.get("DefaultVersion") or ""),
            )
            for row in rows
        ]

    def get_policy(self, policy_name: str, *, policy_type: str = "Custom") -> PolicyVersion:
        """The default version's document: the one RAM enforces."""
        body = self._call("GetPolicy", {"PolicyName": policy_name, "PolicyType": policy_type})
        version = body.get("DefaultPolicyVersion") or {}
        return PolicyVersion(
            policy_name=policy_name,
            policy_type=policy_type,
            version_id=str(version.get("VersionId") or ""),
            document=str(version.get("PolicyDocument") or ""),
            is_default=True,
            create_date=str(version.get("CreateDate") or ""),
        )

    def list_policy_versions(self, policy_name: str, *, policy_type: str = "Custom") -> list[PolicyVersion]:
        """Every version RAM keeps (at most 5), with its document and whether it is the default."""
        body = self._call("ListPolicyVersions", {"PolicyName": policy_name, "PolicyType": policy_type})
        rows = (body.get("PolicyVersions") or {}).get("PolicyVersion") or []
        return [
            PolicyVersion(
                policy_name=policy_name,
                policy_type=policy_type,
                version_id=str(row.get("VersionId") or ""),
                document=str(row.get("PolicyDocument") or ""),
                # RAM answers a JSON boolean; a string "true" is read the same way.
                is_default=str(row.get("IsDefaultVersion")).lower() == "true",
                create_date=str(row.get("CreateDate") or ""),
            )
            for row in rows
        ]

    def delete_policy_version(self, policy_name: str, version_id: str) -> PolicyChange:
        """Remove one non-default version (RAM refuses to delete the default one); returns the request id.
        Deleting is preferred to CreatePolicyVersion's RotateStrategy because then we name the version
        removed, rather than guess which one RAM chose. Returns the request id with the version."""
        body = self._call(
            "DeletePolicyVersion", {"PolicyName": policy_name, "VersionId": version_id}, idempotent=False
        )
        return PolicyChange(version_id=version_id, request_id=str(body.get("RequestId") or ""))

    def create_policy_version(self, policy_name: str, *, document: str, set_as_default: bool) -> PolicyChange:
        """Add a version and return its id. RotateStrategy stays None: a sixth version is refused
        (LimitExceeded.Policy.Version) rather than silently making room; the caller deletes one first."""
        params = {
            "PolicyName": policy_name,
            "PolicyDocument": document,
            "SetAsDefault": "true" if set_as_default else "false",
            "RotateStrategy": "None",
        }
        body = self._call("CreatePolicyVersion", params, idempotent=False)
        return PolicyChange(
            version_id=str((body.get("PolicyVersion") or {}).get("VersionId") or ""),
            request_id=str(body.get("RequestId") or ""),
        )

    def _call(self, action: str, params: dict[str, str], *, idempotent: bool = True) -> dict[str, Any]:
        return rpc_call(self._transport, product="Ram", version=API_VERSION, action=action, params=params,
                        idempotent=idempotent)
