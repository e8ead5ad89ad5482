"""Every JSON answer of every simulated ECS, SLB and RAM action read through the official typed SDK's
response model (`<Action>ResponseBody.from_map`, then `to_map`).

What the model drops on the way back is a field the real API does not have: the simulation invented it, and
code written against the sandbox could come to read it. What the bot reads (READS, kept next to the adapters'
list of calls) must come back non-empty, or a check would pass on a blank that the real API never sends.
"""

from __future__ import annotations

import json
from typing import Any

import alibabacloud_ecs20140526.models as ecs_models
import alibabacloud_ram20150501.models as ram_models
import alibabacloud_slb20140515.models as slb_models
import pytest

from sandbox.rpc import EcsService, RamService, SlbService
from sandbox.world import World
from tests.deploy.test_ram_policy import actions_called_by_code
from tests.sandbox.conftest import REGION, CloudSandbox

MODELS = {"ecs": ecs_models, "slb": slb_models, "ram": ram_models}
SERVICES = {"ecs": EcsService, "slb": SlbService, "ram": RamService}

READS: dict[tuple[str, str], tuple[str, ...]] = {
    # workers/cloud/ecs.py
    ("ecs", "DescribeCloudAssistantStatus"): (
        "InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus[].InstanceId",
        "InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus[].CloudAssistantStatus",
        "InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus[].CloudAssistantVersion",
        "InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus[].LastHeartbeatTime",
    ),
    ("ecs", "DescribeInstances"): (
        "Instances.Instance[].InstanceId", "Instances.Instance[].InstanceChargeType", "Instances.Instance[].Status",
        "Instances.Instance[].ExpiredTime",
    ),
    ("ecs", "DeleteInstances"): ("RequestId",),
    # workers/cloud/slb.py
    ("slb", "DescribeLoadBalancerAttribute"): (
        "LoadBalancerId", "LoadBalancerSpec", "AddressType", "InstanceChargeType", "LoadBalancerStatus", "Address",
        "VpcId",
    ),
    # workers/cloud/ram.py
    ("ram", "ListPoliciesForRole"): ("Policies.Policy[].PolicyName", "Policies.Policy[].PolicyType",
                                     "Policies.Policy[].DefaultVersion"),
    ("ram", "GetPolicy"): ("DefaultPolicyVersion.VersionId", "DefaultPolicyVersion.PolicyDocument",
                           "DefaultPolicyVersion.CreateDate"),
    ("ram", "ListPolicyVersions"): ("PolicyVersions.PolicyVersion[].VersionId",
                                    "PolicyVersions.PolicyVersion[].PolicyDocument",
                                    "PolicyVersions.PolicyVersion[].IsDefaultVersion",
                                    "PolicyVersions.PolicyVersion[].CreateDate"),
    ("ram", "CreatePolicyVersion"): ("PolicyVersion.VersionId",),
    ("ram", "DeletePolicyVersion"): ("RequestId",),
}


def _answers(cloud: CloudSandbox) -> dict[tuple[str, str], dict[str, Any]]:
    """One real answer per simulated action, from a cluster where every field has something to say."""
    cluster_id = cloud.cluster(masters=2, charge_types=["PrePaid", "PostPaid"], master_policy={"versions": 3},
                               oss_granted_buckets=["ack-migrate-hz"])
    state = cloud.control.cluster_state(cluster_id)
    masters = [n["instance_id"] for n in state["nodes"] if n["role"] == "Master"]
    policy = state["master_policies"][0]
    calls: list[tuple[str, str, dict[str, str]]] = [
        ("ecs", "DescribeCloudAssistantStatus", {"RegionId": REGION, "InstanceId.1": masters[0]}),
        ("ecs", "DescribeInstances", {"RegionId": REGION, "InstanceIds": json.dumps(masters)}),
        ("ecs", "DeleteInstances", {"RegionId": REGION, "InstanceId.1": masters[1], "Force": "true"}),
        ("slb", "DescribeLoadBalancerAttribute", {"RegionId": REGION, "LoadBalancerId": state["api_slb_id"]}),
        ("ram", "ListPoliciesForRole", {"RoleName": state["master_role"]}),
        ("ram", "GetPolicy", {"PolicyName": policy, "PolicyType": "Custom"}),
        ("ram", "ListPolicyVersions", {"PolicyName": policy, "PolicyType": "Custom"}),
        ("ram", "CreatePolicyVersion", {"PolicyName": policy, "PolicyDocument": '{"Version":"1","Statement":[]}',
                                        "SetAsDefault": "false"}),
        ("ram", "DeletePolicyVersion", {"PolicyName": policy, "VersionId": "v1"}),
    ]
    return {(service, action): cloud.call(cloud.rpc(service, action, params)) for service, action, params in calls}


def _dropped(sent: Any, kept: Any, path: str = "") -> list[str]:
    """Paths present in the answer that the model's to_map() no longer has: fields the model does not know."""
    if isinstance(sent, dict):
        if not isinstance(kept, dict):
            return [path or "(body)"]
        return [p for key, value in sent.items()
                for p in ([f"{path}{key}"] if key not in kept else _dropped(value, kept[key], f"{path}{key}."))]
    if isinstance(sent, list) and isinstance(kept, list):
        return [p for value, back in zip(sent, kept, strict=True) for p in _dropped(value, back, path.rstrip(".") + "[].")]
    return []


def _values(body: Any, path: str) -> list[Any]:
    """Every value at `a.b[].c` (a list step fans out; a missing list yields no values)."""
    values = [body]
    for step in path.split("."):
        fan = step.endswith("[]")
        key = step.removesuffix("[]")
        values = [v.get(key) if isinstance(v, dict) else None for v in values]
        if fan:
            values = [item for v in values for item in (v or [])]
    return values


def test_every_simulated_action_has_its_model_and_every_called_action_is_simulated() -> None:
    simulated = {(name, action) for name, service in SERVICES.items() for action in service(World()).actions()}
    called = {tuple(a.split(":", 1)) for a in actions_called_by_code() if a.split(":")[0] in SERVICES}

    assert simulated == set(READS), "READS lists each simulated action once"
    assert called <= simulated, f"the bot calls actions the sandbox does not simulate: {sorted(called - simulated)}"
    for service, action in simulated:
        assert hasattr(MODELS[service], f"{action}ResponseBody"), f"{service} {action} has no official model"


@pytest.mark.parametrize(("service", "action"), sorted(READS))
def test_the_answer_has_only_fields_the_official_model_knows_and_what_the_bot_reads_is_filled(
    cloud: CloudSandbox, service: str, action: str
) -> None:
    body = _answers(cloud)[(service, action)]

    model = getattr(MODELS[service], f"{action}ResponseBody")().from_map(body)
    assert _dropped(body, model.to_map()) == [], f"{service} {action} answers fields its official model lacks"
    for path in READS[(service, action)]:
        values = _values(body, path)
        assert values, f"{service} {action}: {path} is missing"
        assert all(v not in (None, "") for v in values), f"{service} {action}: {path} comes back empty: {values}"
