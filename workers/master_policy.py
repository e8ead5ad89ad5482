"""Finding a dedicated cluster's master RAM policy: the one lookup the prechecks and the grant share.

The master role is named by the cluster's stack (workers.checks.policy.master_role_name); its policy is
the attached `k8sMasterRolePolicy-…` (master_policy). Either missing is the same fact for both callers —
there is no policy to judge or to change — so it is one error: `NotFound` with MASTER_POLICY_NOT_FOUND.
"""

from __future__ import annotations

from dataclasses import dataclass

from workers.checks.policy import master_policy, master_role_name
from workers.cloud.models import AttachedPolicy, ClusterDetail, ClusterResource
from workers.cloud.ram import RamClient
from workers.errors import NotFound

MASTER_POLICY_NOT_FOUND = "MasterPolicyNotFound"


@dataclass(frozen=True)
class MasterPolicy:
    role: str
    attached: AttachedPolicy

    @property
    def name(self) -> str:
        return self.attached.name

    @property
    def policy_type(self) -> str:
        return self.attached.policy_type or "Custom"


def find_master_policy(ram: RamClient, *, detail: ClusterDetail, resources: list[ClusterResource]) -> MasterPolicy:
    """The master role and its attached policy, or NotFound (MASTER_POLICY_NOT_FOUND) saying which is missing."""
    role = master_role_name(detail=detail, resources=resources)
    if role is None:
        raise NotFound(service="ack", action="DescribeClusterResources", code=MASTER_POLICY_NOT_FOUND,
                       message=f"no KubernetesMasterRole-… among the resources or stack parameters of {detail.name}")
    policies = ram.list_policies_for_role(role)
    attached = master_policy(policies)
    if attached is None:
        names = ", ".join(p.name for p in policies) or "none"
        raise NotFound(service="ram", action="ListPoliciesForRole", code=MASTER_POLICY_NOT_FOUND,
                       message=f"role {role} has no k8sMasterRolePolicy… attached (attached: {names})")
    return MasterPolicy(role=role, attached=attached)
