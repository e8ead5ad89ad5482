"""ECS, SLB and RAM as aliyunsdkcore's RPC CommonRequest sees them: POP parameters in, POP JSON out."""

from __future__ import annotations

import json
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.request import RpcRequest

from tests.sandbox.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, REGION, CloudSandbox


def _masters(cloud: CloudSandbox, cluster_id: str) -> list[dict]:
    return [n for n in cloud.control.cluster_state(cluster_id)["nodes"] if n["role"] == "Master"]


def _assistant(cloud: CloudSandbox, instance_ids: list[str], region: str = REGION) -> list[dict]:
    params = {"RegionId": region, **{f"InstanceId.{i}": v for i, v in enumerate(instance_ids, 1)}}
    body = cloud.call(cloud.rpc("ecs", "DescribeCloudAssistantStatus", params))
    return body["InstanceCloudAssistantStatusSet"]["InstanceCloudAssistantStatus"]


def test_cloud_assistant_status_reports_each_master_as_the_strings_true_or_false(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster(masters=3, cloud_assistant=[True, False, True])
    masters = _masters(cloud, cluster_id)

    rows = _assistant(cloud, [m["instance_id"] for m in masters])

    assert [(r["InstanceId"], r["CloudAssistantStatus"]) for r in rows] == [
        (masters[0]["instance_id"], "true"), (masters[1]["instance_id"], "false"), (masters[2]["instance_id"], "true")
    ]
    assert rows[0]["CloudAssistantVersion"] and not rows[1]["CloudAssistantVersion"]


def test_cloud_assistant_status_omits_instances_ecs_does_not_know_in_that_region(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster(masters=1)
    master = _masters(cloud, cluster_id)[0]["instance_id"]

    assert [r["InstanceId"] for r in _assistant(cloud, [master, "i-bp1doesnotexist000"])] == [master]
    assert _assistant(cloud, [master], region="cn-beijing") == []


def _delete_instances(cloud: CloudSandbox, ids: list[str], **extra: str) -> dict:
    params = {"RegionId": REGION, **{f"InstanceId.{n}": i for n, i in enumerate(ids, 1)}, **extra}
    return cloud.call(cloud.rpc("ecs", "DeleteInstances", params))


def test_describe_instances_reports_how_each_master_is_billed(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster(masters=2, charge_types=["PrePaid", "PostPaid"])
    masters = _masters(cloud, cluster_id)

    body = cloud.call(cloud.rpc("ecs", "DescribeInstances", {
        "RegionId": REGION, "InstanceIds": json.dumps([m["instance_id"] for m in masters] + ["i-bp1gone"])}))

    rows = body["Instances"]["Instance"]
    assert [(r["InstanceId"], r["InstanceChargeType"], r["Status"]) for r in rows] == [
        (masters[0]["instance_id"], "PrePaid", "Running"), (masters[1]["instance_id"], "PostPaid", "Running")]


def test_delete_instances_dry_runs_refuses_subscription_instances_and_releases_pay_as_you_go_ones(
    cloud: CloudSandbox,
) -> None:
    cluster_id = cloud.cluster(masters=2, charge_types=["PrePaid", "PostPaid"])
    prepaid, payg = (m["instance_id"] for m in _masters(cloud, cluster_id))

    with pytest.raises(ServerException) as subscription:
        _delete_instances(cloud, [prepaid, payg], Force="true", DryRun="true")
    with pytest.raises(ServerException) as running:
        _delete_instances(cloud, [payg])
    with pytest.raises(ServerException) as dry_run:
        _delete_instances(cloud, [payg], Force="true", DryRun="true")
    assert not any(n["released"] for n in _masters(cloud, cluster_id)), "refusals and a dry run change nothing"
    _delete_instances(cloud, [payg], Force="true", ClientToken="t-1")
    _delete_instances(cloud, [payg], Force="true", ClientToken="t-1")  # the same request again: no error
    with pytest.raises(ServerException) as gone:
        _delete_instances(cloud, [payg], Force="true")

    assert (subscription.value.get_http_status(), subscription.value.get_error_code()) == (403, "ChargeTypeViolation")
    assert (running.value.get_http_status(), running.value.get_error_code()) == (403, "IncorrectInstanceStatus")
    assert (dry_run.value.get_http_status(), dry_run.value.get_error_code()) == (400, "DRYRUN.SUCCESS")
    assert (gone.value.get_http_status(), gone.value.get_error_code()) == (404, "InvalidInstanceId.NotFound")
    assert [n["released"] for n in _masters(cloud, cluster_id)] == [False, True]


def _load_balancer(cloud: CloudSandbox, lb_id: str) -> dict:
    return cloud.call(cloud.rpc("slb", "DescribeLoadBalancerAttribute", {"RegionId": REGION, "LoadBalancerId": lb_id}))


@pytest.mark.parametrize(("slb_spec", "reported"), [("slb.s1.small", "slb.s1.small"), ("shared", "")])
def test_load_balancer_attribute_reports_the_api_server_slb_spec(
    cloud: CloudSandbox, slb_spec: str, reported: str
) -> None:
    cluster_id = cloud.cluster(slb_spec=slb_spec)
    state = cloud.control.cluster_state(cluster_id)

    body = _load_balancer(cloud, state["api_slb_id"])

    assert body["LoadBalancerId"] == state["api_slb_id"]
    assert body["LoadBalancerSpec"] == reported
    assert (body["AddressType"], body["LoadBalancerStatus"], body["InstanceChargeType"]) == (
        "intranet", "active", "PayBySpec"
    )
    assert body["ListenerPorts"]["ListenerPort"] == [6443]
    assert {b["ServerId"] for b in body["BackendServers"]["BackendServer"]} == {
        m["instance_id"] for m in _masters(cloud, cluster_id)
    }


def test_unknown_load_balancer_is_refused_with_slbs_code_and_the_pop_error_body(cloud: CloudSandbox) -> None:
    with pytest.raises(ServerException) as caught:
        _load_balancer(cloud, "lb-doesnotexist")

    assert caught.value.get_http_status() == 404
    assert caught.value.get_error_code() == "InvalidLoadBalancerId.NotFound"
    assert caught.value.get_request_id()


def _role_policy(cloud: CloudSandbox, cluster_id: str, *, default: str = "v1") -> str:
    role = cloud.control.cluster_state(cluster_id)["master_role"]
    body = cloud.call(cloud.rpc("ram", "ListPoliciesForRole", {"RoleName": role}))
    policies = body["Policies"]["Policy"]
    assert [(p["PolicyType"], p["DefaultVersion"]) for p in policies] == [("Custom", default)]
    name: str = policies[0]["PolicyName"]
    return name


def _get_policy(cloud: CloudSandbox, name: str) -> dict:
    return cloud.call(cloud.rpc("ram", "GetPolicy", {"PolicyName": name, "PolicyType": "Custom"}))


def _new_version(cloud: CloudSandbox, name: str, document: str, **extra: str) -> dict:
    params = {"PolicyName": name, "PolicyDocument": document, **extra}
    return cloud.call(cloud.rpc("ram", "CreatePolicyVersion", params))


def test_master_role_has_one_custom_policy_whose_default_document_is_json_text(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster(oss_granted_buckets=["ack-migrate-hz"])
    name = _role_policy(cloud, cluster_id)

    body = _get_policy(cloud, name)

    assert name.startswith("k8sMasterRolePolicy-")
    assert body["Policy"]["DefaultVersion"] == body["DefaultPolicyVersion"]["VersionId"] == "v1"
    document = json.loads(body["DefaultPolicyVersion"]["PolicyDocument"])
    assert {"Action": ["oss:PutObject", "oss:GetObject"], "Effect": "Allow",
            "Resource": ["acs:oss:*:*:ack-migrate-hz/*"]} in document["Statement"]


def test_unknown_role_is_entity_not_exist(cloud: CloudSandbox) -> None:
    with pytest.raises(ServerException) as caught:
        cloud.call(cloud.rpc("ram", "ListPoliciesForRole", {"RoleName": "KubernetesMasterRole-none"}))

    assert (caught.value.get_http_status(), caught.value.get_error_code()) == (404, "EntityNotExist.Role")


def test_a_new_default_version_is_what_get_policy_returns_next(cloud: CloudSandbox) -> None:
    name = _role_policy(cloud, cloud.cluster())
    document = json.dumps({"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["oss:GetObject"],
                                                          "Resource": ["acs:oss:*:*:b/*"]}]})

    created = _new_version(cloud, name, document, SetAsDefault="true")

    assert created["PolicyVersion"]["VersionId"] == "v2"
    assert created["PolicyVersion"]["IsDefaultVersion"] is True
    assert _get_policy(cloud, name)["DefaultPolicyVersion"]["PolicyDocument"] == document


def test_a_sixth_version_is_refused_unless_the_oldest_may_be_rotated_out(cloud: CloudSandbox) -> None:
    name = _role_policy(cloud, cloud.cluster())
    document = _get_policy(cloud, name)["DefaultPolicyVersion"]["PolicyDocument"]
    for _ in range(4):
        _new_version(cloud, name, document, SetAsDefault="false")

    with pytest.raises(ServerException) as caught:
        _new_version(cloud, name, document, SetAsDefault="true")
    rotated = _new_version(cloud, name, document, SetAsDefault="true",
                           RotateStrategy="DeleteOldestNonDefaultVersionWhenLimitExceeded")

    assert caught.value.get_error_code() == "LimitExceeded.Policy.Version"
    assert caught.value.get_http_status() == 409
    assert rotated["PolicyVersion"]["VersionId"] == "v6"
    assert _get_policy(cloud, name)["Policy"]["DefaultVersion"] == "v6"
    kept = [v.version_id for v in cloud.world.policies[name].versions]
    assert kept == ["v1", "v3", "v4", "v5", "v6"]  # v2, the oldest non-default, made room


def _document_of(size: int) -> str:
    """A valid policy document of exactly `size` bytes."""
    empty = json.dumps({"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["oss:GetObject"],
                                                       "Resource": [""]}]})
    return empty.replace('[""]', '["' + "x" * (size - len(empty)) + '"]')


def test_a_document_over_6144_bytes_is_refused_with_rams_code(cloud: CloudSandbox) -> None:
    name = _role_policy(cloud, cloud.cluster())

    with pytest.raises(ServerException) as caught:
        _new_version(cloud, name, _document_of(6145), SetAsDefault="true")
    accepted = _new_version(cloud, name, _document_of(6144), SetAsDefault="true")

    assert (caught.value.get_http_status(), caught.value.get_error_code()) == (
        400, "InvalidParameter.PolicyDocument.Length")
    assert accepted["PolicyVersion"]["VersionId"] == "v2"


def test_versions_are_listed_and_only_a_non_default_one_can_be_deleted(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster(master_policy={"versions": 3})
    name = _role_policy(cloud, cluster_id, default="v3")

    listed = cloud.call(cloud.rpc("ram", "ListPolicyVersions", {"PolicyName": name, "PolicyType": "Custom"}))
    with pytest.raises(ServerException) as default:
        cloud.call(cloud.rpc("ram", "DeletePolicyVersion", {"PolicyName": name, "VersionId": "v3"}))
    cloud.call(cloud.rpc("ram", "DeletePolicyVersion", {"PolicyName": name, "VersionId": "v1"}))
    with pytest.raises(ServerException) as gone:
        cloud.call(cloud.rpc("ram", "DeletePolicyVersion", {"PolicyName": name, "VersionId": "v1"}))

    rows = listed["PolicyVersions"]["PolicyVersion"]
    assert [(r["VersionId"], r["IsDefaultVersion"]) for r in rows] == [("v1", False), ("v2", False), ("v3", True)]
    assert rows[0]["CreateDate"] < rows[1]["CreateDate"] < rows[2]["CreateDate"]
    assert (default.value.get_http_status(), default.value.get_error_code()) == (
        409, "DeleteConflict.Policy.Version.Default")
    assert (gone.value.get_http_status(), gone.value.get_error_code()) == (404, "EntityNotExist.Policy.Version")
    assert [v.version_id for v in cloud.world.policies[name].versions] == ["v2", "v3"]


def test_a_malformed_policy_document_is_refused(cloud: CloudSandbox) -> None:
    name = _role_policy(cloud, cloud.cluster())

    with pytest.raises(ServerException) as caught:
        _new_version(cloud, name, "{not json", SetAsDefault="true")

    assert caught.value.get_error_code() == "MalformedPolicyDocument"
    assert _get_policy(cloud, name)["Policy"]["DefaultVersion"] == "v1"


def test_a_wrong_api_version_and_an_unknown_action_are_refused_as_pop_does(cloud: CloudSandbox) -> None:
    request = cloud.rpc("ecs", "DescribeCloudAssistantStatus", {"RegionId": REGION})
    request.set_version("2016-01-01")
    with pytest.raises(ServerException) as wrong_version:
        cloud.call(request)
    with pytest.raises(ServerException) as unknown_action:
        cloud.call(cloud.rpc("ecs", "DeleteEverything", {"RegionId": REGION}))

    assert wrong_version.value.get_error_code() == "InvalidVersion"
    assert unknown_action.value.get_http_status() == 404
    assert unknown_action.value.get_error_code() == "InvalidAction.NotFound"



def test_format_xml_answers_the_action_response_document(cloud: CloudSandbox) -> None:
    # AcsClient always asks for JSON, so the XML form is requested as other POP clients do, signed by the SDK.
    lb_id = cloud.control.cluster_state(cloud.cluster(slb_spec="slb.s3.small"))["api_slb_id"]
    request = RpcRequest("Slb", "2014-05-15", "DescribeLoadBalancerAttribute", format="XML")
    request.add_query_param("LoadBalancerId", lb_id)
    url = cloud.url("slb") + request.get_url(REGION, ACCESS_KEY_ID, ACCESS_KEY_SECRET)

    with urllib.request.urlopen(url, timeout=10) as response:
        root = ET.fromstring(response.read())

    assert root.tag == "DescribeLoadBalancerAttributeResponse"
    assert root.findtext("LoadBalancerSpec") == "slb.s3.small"
    assert root.findtext("ListenerPorts/ListenerPort") == "6443"
