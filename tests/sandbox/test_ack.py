"""ACK's read and node APIs as the real SDKs see them: the aliyun-python-sdk-cs request classes and
CommonRequest (ROA) against the sandbox, answering with the paths, query names and JSON shapes of ACK."""

from __future__ import annotations

import json

import pytest
import yaml
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcs.request.v20151215.DeleteClusterNodesRequest import DeleteClusterNodesRequest
from aliyunsdkcs.request.v20151215.DescribeClusterDetailRequest import DescribeClusterDetailRequest
from aliyunsdkcs.request.v20151215.DescribeClusterNodesRequest import DescribeClusterNodesRequest
from aliyunsdkcs.request.v20151215.DescribeClusterResourcesRequest import DescribeClusterResourcesRequest
from aliyunsdkcs.request.v20151215.DescribeClusterUserKubeconfigRequest import (
    DescribeClusterUserKubeconfigRequest,
)

from sandbox.ack import DEPRECATED_DETAIL_FIELDS
from tests.sandbox.conftest import KUBERNETES_URL, CloudSandbox


def _detail(cloud: CloudSandbox, cluster_id: str) -> dict:
    request = DescribeClusterDetailRequest()
    request.set_ClusterId(cluster_id)
    return cloud.call(cloud.point(request, "ack"))


def _nodes(cloud: CloudSandbox, cluster_id: str, *, page: int = 1, size: int = 100) -> dict:
    request = DescribeClusterNodesRequest()
    request.set_ClusterId(cluster_id)
    request.set_pageNumber(page)
    request.set_pageSize(size)
    return cloud.call(cloud.point(request, "ack"))


def test_cluster_detail_describes_a_dedicated_cluster_and_its_api_server_slb(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster(name="prod-hz-1", masters=3, workers=2, current_version="1.20.11-aliyun.1",
                               slb_spec="slb.s1.small")

    detail = _detail(cloud, cluster_id)

    assert detail["cluster_id"] == cluster_id
    assert (detail["name"], detail["region_id"]) == ("prod-hz-1", "cn-hangzhou")
    assert (detail["cluster_type"], detail["cluster_spec"], detail["state"]) == ("Kubernetes", "", "running")
    assert detail["current_version"] == "1.20.11-aliyun.1"
    assert detail["parameters"]["MasterCount"] == "3"
    api_slbs = detail["control_plane_endpoints_config"]["load_balancers_config"]
    state = cloud.control.cluster_state(cluster_id)
    assert [lb["load_balancer_id"] for lb in api_slbs] == [state["api_slb_id"]]
    assert api_slbs[0]["endpoint_type"] == "intranet"
    assert detail["timezone"] == "Asia/Shanghai"
    assert json.loads(detail["master_url"])["intranet_api_server_endpoint"] == api_slbs[0]["endpoint"]


def test_managed_cluster_reports_pro_spec_and_no_masters(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster(cluster_type="ManagedKubernetes")

    detail = _detail(cloud, cluster_id)

    assert (detail["cluster_type"], detail["cluster_spec"]) == ("ManagedKubernetes", "ack.pro.small")
    assert "MasterCount" not in detail["parameters"]
    assert all(n["instance_role"] == "Worker" for n in _nodes(cloud, cluster_id)["nodes"])


def test_unknown_cluster_is_error_cluster_not_found_in_acks_own_error_shape(cloud: CloudSandbox) -> None:
    with pytest.raises(ServerException) as caught:
        _detail(cloud, "c0000000000000000000000000000000f")

    # aliyunsdkcore cannot read ACK's lower-case body, so it hands it over verbatim.
    assert caught.value.get_http_status() == 404
    assert caught.value.get_error_code() == "SDK.UnknownServerError"
    body = json.loads(caught.value.get_error_msg().removeprefix("ServerResponseBody: "))
    assert body["code"] == "ErrorClusterNotFound"
    assert "c0000000000000000000000000000000f" in body["message"]
    assert body["requestId"]


def test_cluster_detail_leaves_out_the_fields_ack_no_longer_returns(cloud: CloudSandbox) -> None:
    detail = _detail(cloud, cloud.cluster(name="prod-hz-1"))

    assert not set(DEPRECATED_DETAIL_FIELDS) & set(detail)


def test_clusters_for_region_filters_by_fuzzy_name_and_exact_type_in_that_region_only(cloud: CloudSandbox) -> None:
    prod = cloud.cluster(name="prod-hz")
    cloud.cluster(name="prod-hz", cluster_type="ManagedKubernetes")
    cloud.cluster(name="staging")
    cloud.cluster(name="prod-sh", region_id="cn-shanghai")
    request = cloud.roa("GET", "/regions/cn-hangzhou/clusters", action="DescribeClustersForRegion",
                        query={"name": "prod", "cluster_type": "Kubernetes"})

    body = cloud.call(request)

    assert [c["cluster_id"] for c in body["clusters"]] == [prod]
    assert body["page_info"]["total_count"] == 1


def test_clusters_for_region_pages(cloud: CloudSandbox) -> None:
    for index in range(3):
        cloud.cluster(name=f"team-{index}")

    def page(number: int) -> dict:
        request = cloud.roa("GET", "/regions/cn-hangzhou/clusters", action="DescribeClustersForRegion",
                            query={"page_size": "2", "page_number": str(number)})
        return cloud.call(request)

    first, second = page(1), page(2)

    assert [c["name"] for c in first["clusters"] + second["clusters"]] == ["team-0", "team-1", "team-2"]
    assert first["page_info"] == {"page_number": 1, "page_size": 2, "total_count": 3}


@pytest.mark.parametrize(("path", "action"), [("/api/v1/clusters", "DescribeClustersV1"),
                                              ("/clusters", "DescribeClusters")])
def test_retired_list_apis_answer_with_an_error_naming_the_replacement(cloud: CloudSandbox, path: str,
                                                                        action: str) -> None:
    cloud.cluster(name="prod")

    with pytest.raises(ServerException) as refused:
        cloud.call(cloud.roa("GET", path, action=action))

    assert "DescribeClustersForRegion" in str(refused.value)
    assert "decommissioned" in str(refused.value)
    assert [c["status"] for c in cloud.control.calls(service="ack", action=action)] == [410]


def test_cluster_nodes_list_masters_and_workers_with_ecs_ids_and_pages(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster(masters=3, workers=4, charge_types=["PrePaid", "PostPaid", "PostPaid"])
    state = cloud.control.cluster_state(cluster_id)

    first, second = _nodes(cloud, cluster_id, page=1, size=5), _nodes(cloud, cluster_id, page=2, size=5)

    rows = first["nodes"] + second["nodes"]
    assert first["page"] == {"page_number": 1, "page_size": 5, "total_count": 7}
    assert [(r["node_name"], r["instance_id"]) for r in rows] == [
        (n["name"], n["instance_id"]) for n in state["nodes"]
    ]
    assert [r["instance_role"] for r in rows] == ["Master"] * 3 + ["Worker"] * 4
    assert rows[0]["instance_charge_type"] == "PrePaid"
    assert all(r["node_status"] == "Ready" and r["ip_address"] for r in rows)
    assert rows[0]["node_name"] == f"cn-hangzhou.{rows[0]['ip_address'][0]}"


def test_cluster_resources_are_a_json_array_naming_the_api_server_slb(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster()
    state = cloud.control.cluster_state(cluster_id)
    request = DescribeClusterResourcesRequest()
    request.set_ClusterId(cluster_id)

    rows = cloud.call(cloud.point(request, "ack"))

    assert isinstance(rows, list)
    slbs = {r["instance_id"]: json.loads(r["resource_info"]) for r in rows
            if r["resource_type"] == "ALIYUN::SLB::LoadBalancer"}
    assert slbs[state["api_slb_id"]]["AddressType"] == "intranet"
    assert slbs[state["ingress_slb_id"]]["AddressType"] == "internet"
    assert {"cluster_id", "instance_id", "resource_type", "resource_info", "state", "auto_create"} <= set(rows[0])


def test_user_kubeconfig_points_at_the_clusters_kubernetes_api_with_its_token(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster()
    other = cloud.cluster()
    request = DescribeClusterUserKubeconfigRequest()
    request.set_ClusterId(cluster_id)
    request.set_PrivateIpAddress("true")
    request.add_query_param("TemporaryDurationMinutes", "60")

    body = cloud.call(cloud.point(request, "ack"))

    config = yaml.safe_load(body["config"])
    assert config["clusters"][0]["cluster"]["server"] == f"{KUBERNETES_URL}/clusters/{cluster_id}"
    token = config["users"][0]["user"]["token"]
    assert token == cloud.world.clusters[cluster_id].kube_token != cloud.world.clusters[other].kube_token
    assert config["current-context"] == config["contexts"][0]["name"]
    assert body["expiration"].endswith("Z")


def test_user_kubeconfig_refuses_a_duration_outside_15_to_4320_minutes(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster()
    request = cloud.roa("GET", "/k8s/[ClusterId]/user_config", action="DescribeClusterUserKubeconfig",
                        query={"TemporaryDurationMinutes": "5"}, ClusterId=cluster_id)

    with pytest.raises(ServerException) as caught:
        cloud.call(request)

    assert caught.value.get_http_status() == 400
    assert '"InvalidParameter"' in caught.value.get_error_msg()


def test_delete_cluster_nodes_takes_nodes_out_of_the_cluster_and_keeps_ecs_unless_asked(
    cloud: CloudSandbox,
) -> None:
    cluster_id = cloud.cluster(masters=3, workers=2)
    masters = [n for n in cloud.control.cluster_state(cluster_id)["nodes"] if n["role"] == "Master"]
    request = cloud.roa("POST", "/clusters/[ClusterId]/nodes", action="DeleteClusterNodes", ClusterId=cluster_id,
                        body={"nodes": [m["name"] for m in masters[:2]], "release_node": False, "drain_node": False})

    started = cloud.call(request)

    assert started["task_id"].startswith("T-") and started["cluster_id"] == cluster_id and started["request_id"]
    remaining = [n["node_name"] for n in _nodes(cloud, cluster_id)["nodes"]]
    assert masters[0]["name"] not in remaining and masters[2]["name"] in remaining
    after = {n["name"]: n for n in cloud.control.cluster_state(cluster_id)["nodes"]}
    assert after[masters[0]["name"]]["in_kubernetes"] is False
    assert after[masters[0]["name"]]["released"] is False


def test_delete_cluster_nodes_accepts_the_old_sdks_form_body_and_releases_when_asked(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster(masters=1, workers=1)
    master = next(n for n in cloud.control.cluster_state(cluster_id)["nodes"] if n["role"] == "Master")
    request = DeleteClusterNodesRequest()
    request.set_ClusterId(cluster_id)
    request.set_release_node("true")
    request.add_body_params("nodes", json.dumps([master["name"]]))

    cloud.call(cloud.point(request, "ack"))

    after = next(n for n in cloud.control.cluster_state(cluster_id)["nodes"] if n["name"] == master["name"])
    assert after["released"] is True


def test_delete_cluster_nodes_refuses_a_node_of_another_cluster(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster()
    request = cloud.roa("POST", "/clusters/[ClusterId]/nodes", action="DeleteClusterNodes", ClusterId=cluster_id,
                        body={"nodes": ["cn-hangzhou.10.0.0.1"], "release_node": False})

    with pytest.raises(ServerException) as caught:
        cloud.call(request)

    assert caught.value.get_http_status() == 400
    assert '"ErrorNodeNotFound"' in caught.value.get_error_msg()
    assert len(_nodes(cloud, cluster_id)["nodes"]) == 6


def test_an_unknown_path_is_answered_404_and_logged(cloud: CloudSandbox) -> None:
    request = cloud.roa("GET", "/clusters/[ClusterId]/no-such-thing", action="Nope", ClusterId="c1")

    with pytest.raises(ServerException) as caught:
        cloud.call(request)

    assert caught.value.get_http_status() == 404
    assert cloud.control.calls(service="ack")[-1]["action"] == "Unknown"
