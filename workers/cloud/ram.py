"""RAM (API 2015-05-01): the master role's policy, read for the check and rewritten by the migrate job."""

from __future__ import annotations

from typing import Any

from workers.cloud.acs import AcsTransport
from workers.cloud.models import AttachedPolicy, PolicyVersion
from workers.cloud.rpc import rpc_request

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
        )

    def create_policy_version(
        self, policy_name: str, *, document: str, set_as_default: bool, rotate_oldest: bool = False
    ) -> str:
        """Add a version and return its id. RAM keeps at most 5; rotating deletes the oldest non-default
        one, which is a deletion, so the caller has to ask for it."""
        params = {
            "PolicyName": policy_name,
            "PolicyDocument": document,
            "SetAsDefault": "true" if set_as_default else "false",
            "RotateStrategy": "DeleteOldestNonDefaultVersionWhenLimitExceeded" if rotate_oldest else "None",
        }
        body = self._call("CreatePolicyVersion", params, idempotent=False)
        return str((body.get("PolicyVersion") or {}).get("VersionId") or "")

    def _call(self, action: str, params: dict[str, str], *, idempotent: bool = True) -> dict[str, Any]:
        body = self._transport.call(
            lambda: rpc_request(product="Ram", version=API_VERSION, action=action, params=params),
            action=action,
            idempotent=idempotent,
        )
        return dict(body)
