"""Signatures are recomputed from the wire: a client Alibaba Cloud would refuse is refused here too.

Requests are signed by the SDKs themselves (aliyunsdkcore's ROA and RPC signers, alibabacloud-tea-openapi's
ACS3-HMAC-SHA256); where the test needs the raw error body it sends the SDK-signed request with urllib.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from alibabacloud_cs20151215.client import Client as CsClient
from alibabacloud_tea_openapi.models import Config
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.auth.credentials import AccessKeyCredential, StsTokenCredential
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import RpcRequest
from aliyunsdkcs.request.v20151215.DescribeClusterDetailRequest import DescribeClusterDetailRequest
from Tea.exceptions import TeaException

from tests.sandbox.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, REGION, RPC_VERSIONS, CloudSandbox

POP_ERROR_KEYS = {"RequestId", "HostId", "Code", "Message", "Recommend"}


def _send(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _roa_raw(cloud: CloudSandbox, cluster_id: str, *, access_key_id: str, secret: str) -> tuple[int, dict[str, Any]]:
    """A DescribeClusterDetail signed by aliyunsdkcore's ROA signer, sent as it would send it."""
    request = DescribeClusterDetailRequest()
    request.set_ClusterId(cluster_id)
    headers = request.get_signed_header(REGION, access_key_id, secret)
    return _send(cloud.url("ack") + request.get_url(REGION), headers)


def _rpc_raw(cloud: CloudSandbox, service: str, *, access_key_id: str, secret: str) -> tuple[int, dict[str, Any]]:
    product, version = RPC_VERSIONS[service]
    action = {"ecs": "DescribeCloudAssistantStatus", "slb": "DescribeLoadBalancerAttribute",
              "ram": "ListPoliciesForRole"}[service]
    request = RpcRequest(product, version, action)
    request.add_query_param("RegionId", REGION)
    return _send(cloud.url(service) + request.get_url(REGION, access_key_id, secret))


def _cs_client(cloud: CloudSandbox, *, access_key_id: str = ACCESS_KEY_ID, secret: str = ACCESS_KEY_SECRET) -> CsClient:
    """alibabacloud-cs20151215 as an application would build it, with only the endpoint changed."""
    return CsClient(Config(access_key_id=access_key_id, access_key_secret=secret, endpoint=cloud.host("ack"),
                           protocol="http", region_id=REGION))


def test_roa_signed_request_with_the_right_secret_is_answered(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster(name="signed")

    status, body = _roa_raw(cloud, cluster_id, access_key_id=ACCESS_KEY_ID, secret=ACCESS_KEY_SECRET)

    assert (status, body["name"]) == (200, "signed")


def test_roa_wrong_secret_is_signature_does_not_match_from_the_gateway(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster()

    status, body = _roa_raw(cloud, cluster_id, access_key_id=ACCESS_KEY_ID, secret="not-the-secret")

    assert status == 400
    assert set(body) == POP_ERROR_KEYS
    assert body["Code"] == "SignatureDoesNotMatch"
    assert body["HostId"] == "cs.aliyuncs.com"
    assert "server string to sign is:GET\n" in body["Message"]
    assert f"/clusters/{cluster_id}" in body["Message"]


def test_roa_wrong_secret_through_acs_client_raises_the_servers_code(cloud: CloudSandbox) -> None:
    request = DescribeClusterDetailRequest()
    request.set_ClusterId(cloud.cluster())

    with pytest.raises(ServerException) as caught:
        cloud.call(cloud.point(request, "ack"), client=cloud.acs_client(secret="wrong"))

    assert (caught.value.get_http_status(), caught.value.get_error_code()) == (400, "SignatureDoesNotMatch")
    assert cloud.control.calls(service="ack")[-1]["error_code"] == "SignatureDoesNotMatch"


def test_unknown_access_key_is_invalid_access_key_id_not_found_on_ack(cloud: CloudSandbox) -> None:
    status, body = _roa_raw(cloud, cloud.cluster(), access_key_id="LTAI5tNobodyHasThisKey", secret="x")

    assert status == 404
    assert (body["Code"], body["Message"]) == ("InvalidAccessKeyId.NotFound", "Specified access key is not found.")
    assert set(body) == POP_ERROR_KEYS


def test_an_unsigned_ack_request_is_refused(cloud: CloudSandbox) -> None:
    status, body = _send(f"{cloud.url('ack')}/clusters/{cloud.cluster()}")

    assert status == 400
    assert body["Code"] == "MissingAccessKeyId"


def test_acs3_signed_client_reads_the_cluster(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster(name="acs3")

    response = _cs_client(cloud).describe_cluster_detail(cluster_id)

    assert response.status_code == 200
    assert (response.body.name, response.body.cluster_type) == ("acs3", "Kubernetes")


def test_acs3_wrong_secret_and_unknown_key_are_refused_with_the_real_codes(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster()

    with pytest.raises(TeaException) as wrong_secret:
        _cs_client(cloud, secret="wrong").describe_cluster_detail(cluster_id)
    with pytest.raises(TeaException) as unknown_key:
        _cs_client(cloud, access_key_id="LTAI5tNobodyHasThisKey").describe_cluster_detail(cluster_id)

    assert (wrong_secret.value.code, wrong_secret.value.data["statusCode"]) == ("SignatureDoesNotMatch", 400)
    assert "ACS3-HMAC-SHA256\n" in wrong_secret.value.message
    assert (unknown_key.value.code, unknown_key.value.data["statusCode"]) == ("InvalidAccessKeyId.NotFound", 404)


@pytest.mark.parametrize("service", ["ecs", "slb", "ram"])
def test_rpc_wrong_secret_is_signature_does_not_match_with_the_pop_error_body(
    cloud: CloudSandbox, service: str
) -> None:
    status, body = _rpc_raw(cloud, service, access_key_id=ACCESS_KEY_ID, secret="wrong")

    assert status == 400
    assert set(body) == POP_ERROR_KEYS
    assert body["Code"] == "SignatureDoesNotMatch"
    assert body["Message"].startswith("Specified signature is not matched with our calculation. "
                                      "server string to sign is:GET&%2F&AccessKeyId%3D")
    assert body["HostId"] == f"{service}.aliyuncs.com"


@pytest.mark.parametrize("service", ["ecs", "slb", "ram"])
def test_rpc_unknown_access_key_is_404_invalid_access_key_id_not_found(cloud: CloudSandbox, service: str) -> None:
    status, body = _rpc_raw(cloud, service, access_key_id="LTAI5tNobodyHasThisKey", secret="x")

    assert status == 404
    assert body["Code"] == "InvalidAccessKeyId.NotFound"
    assert set(body) == POP_ERROR_KEYS


def test_rpc_server_string_to_sign_is_the_sdks_own_so_it_names_the_secret_as_wrong(cloud: CloudSandbox) -> None:
    # aliyunsdkcore compares the server's string to sign with its own; equal means only the secret differs.
    request = cloud.point(RpcRequest("Ecs", "2014-05-26", "DescribeCloudAssistantStatus"), "ecs")
    request.add_query_param("InstanceId.1", "i-bp1abc")

    with pytest.raises(ServerException) as caught:
        cloud.acs_client(secret="wrong").do_action_with_exception(request)

    assert caught.value.get_error_code() == "InvalidAccessKeySecret"


def test_rpc_right_secret_is_answered_for_every_service(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster()
    state = cloud.control.cluster_state(cluster_id)
    params = {"ecs": {"RegionId": REGION, "InstanceId.1": state["nodes"][0]["instance_id"]},
              "slb": {"RegionId": REGION, "LoadBalancerId": state["api_slb_id"]},
              "ram": {"RoleName": state["master_role"]}}
    actions = {"ecs": "DescribeCloudAssistantStatus", "slb": "DescribeLoadBalancerAttribute",
               "ram": "ListPoliciesForRole"}

    bodies = {s: cloud.call(cloud.rpc(s, actions[s], params[s])) for s in actions}

    assert all(body["RequestId"] for body in bodies.values())
    assert [c["status"] for c in cloud.control.calls() if c["service"] in actions] == [200, 200, 200]


def test_sts_credentials_need_their_token(cloud: CloudSandbox) -> None:
    cloud.control.request("POST", "/credentials", {"access_key_id": "STS.sandbox1", "secret": "sts-secret",
                                                   "security_token": "token-123"})

    def code_with(credential: Any) -> str:
        client = AcsClient(region_id=REGION, credential=credential, auto_retry=False)
        request = cloud.rpc("ram", "ListPoliciesForRole", {"RoleName": "KubernetesMasterRole-none"})
        with pytest.raises(ServerException) as caught:
            client.do_action_with_exception(request)
        return str(caught.value.get_error_code())

    # With the token the signature passes and RAM itself answers; without it the gateway refuses.
    assert code_with(StsTokenCredential("STS.sandbox1", "sts-secret", "token-123")) == "EntityNotExist.Role"
    assert code_with(AccessKeyCredential("STS.sandbox1", "sts-secret")).startswith("InvalidSecurityToken")
