"""Every JSON answer of every simulated ACK action read through the official typed SDK's models
(alibabacloud_cs20151215): `from_map` then `to_map` must give the answer back unchanged, so a field the
model does not know (one we invented, or one ACK no longer returns) fails here; and every field the bot
reads (workers.cloud.ack) must come back non-empty, so the sandbox cannot pass a test by leaving it out."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from alibabacloud_cs20151215 import models

from sandbox.ack import _PATTERNS, RETIRED_ACTIONS
from sandbox.world import World
from tests.sandbox.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, CloudSandbox, start_cloud

BUCKET = "ack-migrate-hz"


def _roundtrip(model: Any, body: Any) -> Any:
    return model.from_map(body).to_map()


def _unknown(sent: Any, kept: Any, path: str = "") -> list[str]:
    """The paths of `sent` that the model dropped."""
    if isinstance(sent, dict):
        lost = [f"{path}.{key}".lstrip(".") for key in sent if not isinstance(kept, dict) or key not in kept]
        return lost + [p for key in sent if isinstance(kept, dict) and key in kept
                       for p in _unknown(sent[key], kept[key], f"{path}.{key}")]
    if isinstance(sent, list) and isinstance(kept, list):
        return [p for index, (a, b) in enumerate(zip(sent, kept, strict=False))
                for p in _unknown(a, b, f"{path}[{index}]")]
    return []


def _read(body: Any, path: str) -> list[Any]:
    """Values at a dotted path; `[]` steps into every element of a list."""
    values = [body]
    for step in path.split("."):
        many = step.endswith("[]")
        key = step.removesuffix("[]")
        values = [v.get(key) if isinstance(v, dict) else None for v in values]
        if many:
            values = [item for v in values for item in (v or [])]
    return values


# What workers.cloud.ack reads from each answer (the fields a healthy sandbox cluster must fill).
READS: dict[str, tuple[str, ...]] = {
    "DescribeClusterDetail": (
        "cluster_id", "name", "region_id", "cluster_type", "profile", "state", "current_version", "vpc_id",
        "timezone", "control_plane_endpoints_config.load_balancers_config[].load_balancer_id",
        "control_plane_endpoints_config.load_balancers_config[].endpoint_type",
        "control_plane_endpoints_config.load_balancers_config[].endpoint",
    ),
    "DescribeClustersForRegion": (
        "clusters[].cluster_id", "clusters[].name", "clusters[].region_id", "clusters[].cluster_type",
        "clusters[].state", "clusters[].current_version", "page_info.total_count",
    ),
    "DescribeClusterNodes": (
        "nodes[].instance_id", "nodes[].node_name", "nodes[].instance_role", "nodes[].node_status",
        "nodes[].state", "nodes[].instance_charge_type", "nodes[].ip_address", "page.total_count",
    ),
    "DescribeClusterUserKubeconfig": ("config", "expiration"),
    "MigrateCluster": ("task_id", "request_id"),
    "DescribeTaskInfo": ("task_id", "task_type", "state", "current_stage", "stages[].state",
                         "stages[].message", "stages[].start_time", "created", "updated"),
    "DescribeClusterTasks": ("tasks[].task_id", "tasks[].task_type", "tasks[].state", "tasks[].created"),
    "DeleteClusterNodes": ("task_id", "request_id"),
    "RunClusterCheck": ("check_id",),
    "GetClusterCheck": ("check_id", "type", "status", "message", "created_at", "finished_at", "check_items"),
    "ListClusterChecks": ("checks[].check_id", "checks[].status", "checks[].created_at"),
    "DescribeUserQuota": ("amk_cluster_quota", "cluster_quota"),
}
MODELS: dict[str, Any] = {
    "DescribeClusterDetail": models.DescribeClusterDetailResponseBody,
    "DescribeClustersForRegion": models.DescribeClustersForRegionResponseBody,
    "DescribeClusterNodes": models.DescribeClusterNodesResponseBody,
    "DescribeClusterUserKubeconfig": models.DescribeClusterUserKubeconfigResponseBody,
    "MigrateCluster": models.MigrateClusterResponseBody,
    "DescribeTaskInfo": models.DescribeTaskInfoResponseBody,
    "DescribeClusterTasks": models.DescribeClusterTasksResponseBody,
    "DeleteClusterNodes": models.DeleteClusterNodesResponseBody,
    "RunClusterCheck": models.RunClusterCheckResponseBody,
    "GetClusterCheck": models.GetClusterCheckResponseBody,
    "ListClusterChecks": models.ListClusterChecksResponseBody,
    "DescribeUserQuota": models.DescribeUserQuotaResponseBody,
}


@pytest.fixture(scope="module")
def answers() -> Iterator[dict[str, Any]]:
    """One answer of every action, from a journey through the sandbox (a migration followed to its end)."""
    world = World(speed=50.0)
    world.add_credential(ACCESS_KEY_ID, ACCESS_KEY_SECRET)
    cloud = start_cloud(world)
    try:
        yield _journey(cloud)
    finally:
        for server in cloud.servers.values():
            server.stop()


def _journey(cloud: CloudSandbox) -> dict[str, Any]:
    cloud.control.create_bucket(BUCKET, "cn-hangzhou")
    cluster_id = cloud.cluster(name="prod-hz-1", oss_granted_buckets=[BUCKET], migration={"stage_listing": "all"},
                               api_server_public=True)
    got: dict[str, Any] = {}

    def call(action: str, method: str, pattern: str, **kwargs: Any) -> Any:
        got[action] = cloud.call(cloud.roa(method, pattern, action=action, **kwargs))
        return got[action]

    call("DescribeClusterDetail", "GET", "/clusters/[ClusterId]", ClusterId=cluster_id)
    call("DescribeUserQuota", "GET", "/quota")
    call("DescribeClustersForRegion", "GET", "/regions/[RegionId]/clusters", RegionId="cn-hangzhou")
    nodes = call("DescribeClusterNodes", "GET", "/clusters/[ClusterId]/nodes", ClusterId=cluster_id)
    got["DescribeClusterResources"] = cloud.call(cloud.roa("GET", "/clusters/[ClusterId]/resources",
                                                           action="DescribeClusterResources", ClusterId=cluster_id))
    call("DescribeClusterUserKubeconfig", "GET", "/k8s/[ClusterId]/user_config", ClusterId=cluster_id)
    check = call("RunClusterCheck", "POST", "/clusters/[ClusterId]/checks", ClusterId=cluster_id,
                 body={"type": "ClusterMigrate"})
    time.sleep(0.1)
    call("GetClusterCheck", "GET", "/clusters/[ClusterId]/checks/[CheckId]", ClusterId=cluster_id,
         CheckId=check["check_id"])
    call("ListClusterChecks", "GET", "/clusters/[ClusterId]/checks", ClusterId=cluster_id,
         query={"type": "ClusterMigrate"})
    started = call("MigrateCluster", "POST", "/clusters/[ClusterId]/migrate", ClusterId=cluster_id,
                   body={"oss_bucket_name": BUCKET, "oss_bucket_endpoint": f"{BUCKET}.oss-cn-hangzhou.aliyuncs.com"})
    deadline = time.monotonic() + 20
    while call("DescribeTaskInfo", "GET", "/tasks/[TaskId]", TaskId=started["task_id"])["state"] == "running":
        assert time.monotonic() < deadline, "the simulated migration did not end"
        time.sleep(0.1)
    call("DescribeClusterTasks", "GET", "/clusters/[ClusterId]/tasks", ClusterId=cluster_id)
    masters = [n["node_name"] for n in nodes["nodes"] if n["instance_role"] == "Master"]
    call("DeleteClusterNodes", "POST", "/clusters/[ClusterId]/nodes", ClusterId=cluster_id,
         body={"nodes": masters, "release_node": False, "drain_node": False})
    return got


@pytest.mark.parametrize("action", sorted(MODELS))
def test_every_field_of_the_answer_is_known_to_the_official_model(answers: dict[str, Any], action: str) -> None:
    body = answers[action]

    assert _unknown(body, _roundtrip(MODELS[action](), body)) == []


def test_cluster_resources_rows_are_known_to_the_official_model(answers: dict[str, Any]) -> None:
    rows = answers["DescribeClusterResources"]

    response = models.DescribeClusterResourcesResponse().from_map({"body": rows})
    assert _unknown(rows, response.to_map()["body"]) == []


@pytest.mark.parametrize("action", sorted(READS))
def test_every_field_the_bot_reads_comes_back_filled(answers: dict[str, Any], action: str) -> None:
    empty = [path for path in READS[action] for value in (_read(answers[action], path) or [None])
             if value in (None, "", [], {})]

    assert empty == []


def test_the_journey_answered_every_action_the_sandbox_serves(answers: dict[str, Any]) -> None:
    served = {action for _, _, action in _PATTERNS} - set(RETIRED_ACTIONS)
    assert served == set(answers)
