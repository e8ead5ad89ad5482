"""ECS, SLB and RAM driven by the official typed SDKs (alibabacloud_ecs20140526, _slb20140515, _ram20150501):
ACS3-HMAC-SHA256 signatures, the action in the `x-acs-action` header, as alibabacloud_tea_openapi sends it.

The same services also answer aliyunsdkcore's RPC style (tests/sandbox/test_rpc.py); both must work because
production uses aliyunsdkcore while operators' own tooling and the typed models are what Alibaba ships today.
"""

from __future__ import annotations

import json

import pytest
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_ram20150501 import models as ram_models
from alibabacloud_ram20150501.client import Client as RamClient
from alibabacloud_slb20140515 import models as slb_models
from alibabacloud_slb20140515.client import Client as SlbClient
from alibabacloud_tea_openapi.models import Config
from Tea.exceptions import TeaException

from tests.sandbox.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, REGION, CloudSandbox


def _config(cloud: CloudSandbox, service: str, *, secret: str = ACCESS_KEY_SECRET) -> Config:
    """As an application builds it; only the endpoint (and plain HTTP) differ from production."""
    return Config(access_key_id=ACCESS_KEY_ID, access_key_secret=secret, endpoint=cloud.host(service),
                  protocol="http", region_id=REGION)


def _masters(cloud: CloudSandbox, cluster_id: str) -> list[dict]:
    return [n for n in cloud.control.cluster_state(cluster_id)["nodes"] if n["role"] == "Master"]


def test_ecs_typed_client_reads_cloud_assistant_and_instances_and_releases_pay_as_you_go(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster(masters=2, charge_types=["PrePaid", "PostPaid"], cloud_assistant=[True, False])
    prepaid, payg = (m["instance_id"] for m in _masters(cloud, cluster_id))
    ecs = EcsClient(_config(cloud, "ecs"))

    assistant = ecs.describe_cloud_assistant_status(ecs_models.DescribeCloudAssistantStatusRequest(
        region_id=REGION, instance_id=[prepaid, payg]))
    instances = ecs.describe_instances(ecs_models.DescribeInstancesRequest(
        region_id=REGION, instance_ids=json.dumps([prepaid, payg])))
    with pytest.raises(TeaException) as dry_run:
        ecs.delete_instances(ecs_models.DeleteInstancesRequest(region_id=REGION, instance_id=[payg], force=True,
                                                               dry_run=True))
    with pytest.raises(TeaException) as subscription:
        ecs.delete_instances(ecs_models.DeleteInstancesRequest(region_id=REGION, instance_id=[prepaid], force=True))
    released = ecs.delete_instances(ecs_models.DeleteInstancesRequest(region_id=REGION, instance_id=[payg],
                                                                      force=True))

    rows = assistant.body.instance_cloud_assistant_status_set.instance_cloud_assistant_status
    assert [(r.instance_id, r.cloud_assistant_status) for r in rows] == [(prepaid, "true"), (payg, "false")]
    listed = instances.body.instances.instance
    assert [(i.instance_id, i.instance_charge_type) for i in listed] == [(prepaid, "PrePaid"), (payg, "PostPaid")]
    assert (dry_run.value.code, dry_run.value.statusCode) == ("DRYRUN.SUCCESS", 400)
    assert (subscription.value.code, subscription.value.statusCode) == ("ChargeTypeViolation", 403)
    assert released.status_code == 200 and released.body.request_id
    assert [n["released"] for n in _masters(cloud, cluster_id)] == [False, True]
    calls = cloud.control.calls(service="ecs")
    assert [c["action"] for c in calls] == ["DescribeCloudAssistantStatus", "DescribeInstances", "DeleteInstances",
                                            "DeleteInstances", "DeleteInstances"]
    assert not any({"Action", "SignatureMethod"} & set(c["params"]) for c in calls), "the typed SDK's own style"


def test_slb_typed_client_reads_the_api_server_load_balancer(cloud: CloudSandbox) -> None:
    state = cloud.control.cluster_state(cloud.cluster(slb_spec="slb.s1.small"))
    slb = SlbClient(_config(cloud, "slb"))

    answer = slb.describe_load_balancer_attribute(slb_models.DescribeLoadBalancerAttributeRequest(
        region_id=REGION, load_balancer_id=state["api_slb_id"]))

    assert (answer.body.load_balancer_spec, answer.body.address_type) == ("slb.s1.small", "intranet")


def test_ram_typed_client_reads_and_versions_the_master_policy(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster(master_policy={"versions": 5})
    role = cloud.control.cluster_state(cluster_id)["master_role"]
    ram = RamClient(_config(cloud, "ram"))

    [policy] = ram.list_policies_for_role(ram_models.ListPoliciesForRoleRequest(role_name=role)).body.policies.policy
    default = ram.get_policy(ram_models.GetPolicyRequest(policy_name=policy.policy_name, policy_type="Custom"))
    with pytest.raises(TeaException) as sixth:
        ram.create_policy_version(ram_models.CreatePolicyVersionRequest(
            policy_name=policy.policy_name, policy_document=default.body.default_policy_version.policy_document,
            set_as_default=True))
    ram.delete_policy_version(ram_models.DeletePolicyVersionRequest(policy_name=policy.policy_name, version_id="v1"))
    created = ram.create_policy_version(ram_models.CreatePolicyVersionRequest(
        policy_name=policy.policy_name, policy_document='{"Version":"1","Statement":[]}', set_as_default=True))
    versions = ram.list_policy_versions(ram_models.ListPolicyVersionsRequest(
        policy_name=policy.policy_name, policy_type="Custom")).body.policy_versions.policy_version

    assert default.body.default_policy_version.version_id == "v5"
    assert (sixth.value.code, sixth.value.statusCode) == ("LimitExceeded.Policy.Version", 409)
    assert created.body.policy_version.version_id == "v6"
    assert [v.version_id for v in versions] == ["v2", "v3", "v4", "v5", "v6"]


@pytest.mark.parametrize("service", ["ecs", "slb", "ram"])
def test_a_wrong_secret_is_refused_for_acs3_as_for_the_rpc_signature(cloud: CloudSandbox, service: str) -> None:
    clients = {
        "ecs": lambda c: EcsClient(c).describe_cloud_assistant_status(
            ecs_models.DescribeCloudAssistantStatusRequest(region_id=REGION, instance_id=["i-x"])),
        "slb": lambda c: SlbClient(c).describe_load_balancer_attribute(
            slb_models.DescribeLoadBalancerAttributeRequest(region_id=REGION, load_balancer_id="lb-x")),
        "ram": lambda c: RamClient(c).list_policies_for_role(ram_models.ListPoliciesForRoleRequest(role_name="r")),
    }

    with pytest.raises(TeaException) as caught:
        clients[service](_config(cloud, service, secret="not-the-secret"))

    assert (caught.value.code, caught.value.statusCode) == ("SignatureDoesNotMatch", 400)
