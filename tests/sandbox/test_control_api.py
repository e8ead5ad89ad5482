"""The sandbox's control API (README "The sandbox"): shape the world, read the call log, inject faults — over plain
HTTP on the ACK port, raw and through `SandboxClient`."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException

from sandbox.client import SandboxControlError
from tests.sandbox.conftest import REGION, CloudSandbox


def _http(cloud: CloudSandbox, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(cloud.url("ack") + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _assistant(cloud: CloudSandbox, instance_id: str = "i-bp1none") -> dict[str, Any]:
    result: dict[str, Any] = cloud.call(
        cloud.rpc("ecs", "DescribeCloudAssistantStatus", {"RegionId": REGION, "InstanceId.1": instance_id})
    )
    return result


def _detail(cloud: CloudSandbox, cluster_id: str) -> dict[str, Any]:
    result: dict[str, Any] = cloud.call(
        cloud.roa("GET", "/clusters/[ClusterId]", action="DescribeClusterDetail", ClusterId=cluster_id)
    )
    return result


def test_post_clusters_returns_the_id_and_name_and_the_cluster_is_served_by_ack(cloud: CloudSandbox) -> None:
    status, created = _http(cloud, "POST", "/_sandbox/clusters", {"name": "prod-hz-1", "masters": 3, "workers": 1})

    assert status == 200
    assert set(created) == {"cluster_id", "name"} and created["name"] == "prod-hz-1"
    assert _detail(cloud, created["cluster_id"])["name"] == "prod-hz-1"


def test_get_cluster_shows_nodes_and_tasks_by_id_or_name(cloud: CloudSandbox) -> None:
    created = cloud.control.create_cluster(name="shown", masters=2, workers=1, cloud_assistant=[True, False],
                                           pods_on_masters=["default/stray-1"])

    by_id = cloud.control.cluster_state(created["cluster_id"])
    by_name = cloud.control.cluster_state("shown")

    assert by_id["cluster_id"] == by_name["cluster_id"] == created["cluster_id"]
    assert [(n["role"], n["cloud_assistant"]) for n in by_id["nodes"]] == [
        ("Master", True), ("Master", False), ("Worker", True)
    ]
    assert "default/stray-1" in by_id["pods_on_masters"]
    assert by_id["tasks"] == []


def test_an_unknown_cluster_is_404_and_a_bad_spec_400_with_the_reason(cloud: CloudSandbox) -> None:
    missing = _http(cloud, "GET", "/_sandbox/clusters/cnope")
    bad = _http(cloud, "POST", "/_sandbox/clusters", {"slb_spec": "slb.huge"})
    unknown_field = _http(cloud, "POST", "/_sandbox/clusters", {"colour": "blue"})

    assert missing[0] == 404 and "cnope" in missing[1]["error"]
    assert bad[0] == 400 and "slb_spec" in bad[1]["error"]
    assert unknown_field[0] == 400 and "colour" in unknown_field[1]["error"]
    with pytest.raises(SandboxControlError, match="HTTP 400"):
        cloud.control.create_cluster(masters=-1)


def test_the_current_prerequisite_fields_show_in_the_cluster_state(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster(timezone="", api_server_public=True, vswitch_free_ips=1, terway_pod_networking=True,
                               ack_check={"fail_items": ["Components"]})

    state = cloud.control.cluster_state(cluster_id)

    assert (state["timezone"], state["vswitch_free_ips"], state["terway_pod_networking"]) == ("", 1, True)
    assert state["api_public_slb_id"].startswith("lb-") and state["ack_check_fail_items"] == ["Components"]


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ({"timezone": 8}, "timezone"),
        ({"vswitch_free_ips": -1}, "vswitch_free_ips"),
        ({"ack_check": {"fail_items": ["Nope"]}}, "ack_check.fail_items: unknown item(s) Nope"),
        ({"ack_check": {"duration_s": "soon"}}, "ack_check.duration_s"),
        ({"migration": {"stage_listing": "some"}}, "migration.stage_listing"),
    ],
)
def test_a_bad_current_prerequisite_field_is_400_naming_it(cloud: CloudSandbox, spec: dict[str, Any],
                                                          named: str) -> None:
    status, body = _http(cloud, "POST", "/_sandbox/clusters", spec)

    assert status == 400 and named in body["error"]


def test_post_buckets_creates_a_bucket_once(cloud: CloudSandbox) -> None:
    created = cloud.control.create_bucket("ack-migrate-hz", "cn-hangzhou")

    assert created["name"] == "ack-migrate-hz" and created["location"] == "oss-cn-hangzhou"
    assert cloud.world.buckets["ack-migrate-hz"].region_id == "cn-hangzhou"
    with pytest.raises(SandboxControlError, match="already exists"):
        cloud.control.create_bucket("ack-migrate-hz")


def test_calls_lists_every_api_call_in_order_with_its_outcome_and_filters(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster()
    _detail(cloud, cluster_id)
    _assistant(cloud)
    with pytest.raises(ServerException):
        _detail(cloud, "cmissing")

    everything = cloud.control.calls()
    ack_details = cloud.control.calls(service="ack", action="DescribeClusterDetail")

    assert [(c["service"], c["action"], c["status"]) for c in everything] == [
        ("ack", "DescribeClusterDetail", 200), ("ecs", "DescribeCloudAssistantStatus", 200),
        ("ack", "DescribeClusterDetail", 404),
    ]
    first = everything[0]
    assert (first["method"], first["path"]) == ("GET", f"/clusters/{cluster_id}")
    assert abs(first["time"] - time.time()) < 60
    assert [c["status"] for c in ack_details] == [200, 404]
    assert ack_details[1]["error_code"] == "ErrorClusterNotFound"
    assert all({"Signature", "AccessKeyId"}.isdisjoint(c["params"]) for c in everything)  # no credentials
    cloud.control.clear_calls()
    assert cloud.control.calls() == []


def test_a_fault_fails_the_next_count_calls_with_its_status_and_code_then_calls_succeed(
    cloud: CloudSandbox,
) -> None:
    cloud.control.fault("ecs", "DescribeCloudAssistantStatus", http_status=503, code="ServiceUnavailable",
                        message="The request has failed due to a temporary failure of the server.", count=2)

    failures = []
    for _ in range(2):
        with pytest.raises(ServerException) as caught:
            _assistant(cloud)
        failures.append((caught.value.get_http_status(), caught.value.get_error_code()))
    answered = _assistant(cloud)

    assert failures == [(503, "ServiceUnavailable")] * 2
    assert answered["TotalCount"] == 0
    assert [(c["status"], c["fault"]) for c in cloud.control.calls(service="ecs")] == [
        (503, True), (503, True), (200, False)
    ]


def test_a_fault_without_an_action_matches_every_action_of_that_service_only(cloud: CloudSandbox) -> None:
    cluster_id = cloud.cluster()
    cloud.control.fault("ack", http_status=429, code="Throttling.User", count=2)

    codes = []
    for action, pattern in (("DescribeClusterDetail", "/clusters/[ClusterId]"),
                            ("DescribeClusterNodes", "/clusters/[ClusterId]/nodes")):
        with pytest.raises(ServerException) as caught:
            cloud.call(cloud.roa("GET", pattern, action=action, ClusterId=cluster_id))
        codes.append((caught.value.get_http_status(), json.loads(
            caught.value.get_error_msg().removeprefix("ServerResponseBody: "))["code"]))
    _assistant(cloud)  # another service is untouched

    assert codes == [(429, "Throttling.User")] * 2
    assert _detail(cloud, cluster_id)["cluster_id"] == cluster_id


def test_a_latency_fault_only_slows_the_call(cloud: CloudSandbox) -> None:
    cloud.control.fault("ecs", "DescribeCloudAssistantStatus", latency_ms=300)

    started = time.monotonic()
    answered = _assistant(cloud)
    elapsed = time.monotonic() - started

    assert answered["TotalCount"] == 0
    assert elapsed >= 0.3
    logged = cloud.control.calls(service="ecs")[-1]
    assert (logged["status"], logged["duration_ms"] >= 300) == (200, True)


def test_delete_faults_clears_pending_faults(cloud: CloudSandbox) -> None:
    cloud.control.fault("ecs", http_status=500, count=-1)
    pending = cloud.control.request("GET", "/faults")

    status, _ = _http(cloud, "DELETE", "/_sandbox/faults")

    assert [f["http_status"] for f in pending] == [500]
    assert status == 200
    assert _assistant(cloud)["TotalCount"] == 0


@pytest.mark.parametrize(
    "spec",
    [{"service": "dns", "http_status": 500}, {"service": "ecs"}, {"service": "ecs", "http_status": 200},
     {"service": "ecs", "http_status": 500, "count": 0}],
)
def test_a_fault_that_cannot_apply_is_refused_with_400(cloud: CloudSandbox, spec: dict[str, Any]) -> None:
    status, body = _http(cloud, "POST", "/_sandbox/faults", spec)

    assert status == 400 and body["error"]
    assert cloud.control.request("GET", "/faults") == []


def test_control_calls_are_not_logged_and_need_no_signature(cloud: CloudSandbox) -> None:
    cloud.cluster()
    cloud.control.calls()

    assert _http(cloud, "GET", "/_sandbox/calls") == (200, [])
