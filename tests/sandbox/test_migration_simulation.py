"""A dedicated → Pro migration as ACK runs it: MigrateCluster starts a task, DescribeTaskInfo walks its
stages over `migration.duration_s`, and the cluster comes out managed — or the task fails where it was told
to, or MigrateCluster refuses a cluster that cannot be migrated."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException

from sandbox.world import MIGRATION_STAGES
from tests.sandbox.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, REGION, CloudSandbox
from workers.cloud import CloudClients
from workers.config import Settings
from workers.errors import Conflict, Forbidden, NotFound

BUCKET = "ack-migrate-hz"
BUCKET_ENDPOINT = "oss-cn-hangzhou-internal.aliyuncs.com"
STAGE_NAMES = [name for name, _ in MIGRATION_STAGES]
DURATION_S = 1.0  # five stages of 0.2 s: long enough for a 20 ms poll to see each one


def _ready_cluster(cloud: CloudSandbox, **spec: Any) -> str:
    """A dedicated cluster whose master role may already write to the bucket, and the bucket."""
    if BUCKET not in cloud.world.buckets:
        cloud.control.create_bucket(BUCKET, REGION)
    spec.setdefault("migration", {"duration_s": DURATION_S})
    return cloud.cluster(oss_granted_buckets=[BUCKET], **spec)


def _migrate(cloud: CloudSandbox, cluster_id: str, bucket: str = BUCKET) -> dict[str, Any]:
    request = cloud.roa("POST", "/clusters/[ClusterId]/migrate", action="MigrateCluster", ClusterId=cluster_id,
                        body={"oss_bucket_name": bucket, "oss_bucket_endpoint": BUCKET_ENDPOINT})
    result: dict[str, Any] = cloud.call(request)
    return result


def _task(cloud: CloudSandbox, task_id: str) -> dict[str, Any]:
    result: dict[str, Any] = cloud.call(cloud.roa("GET", "/tasks/[TaskId]", action="DescribeTaskInfo", TaskId=task_id))
    return result


def _detail(cloud: CloudSandbox, cluster_id: str) -> dict[str, Any]:
    result: dict[str, Any] = cloud.call(
        cloud.roa("GET", "/clusters/[ClusterId]", action="DescribeClusterDetail", ClusterId=cluster_id)
    )
    return result


def _follow(cloud: CloudSandbox, task_id: str) -> tuple[list[str], dict[str, Any]]:
    """Poll as the worker does until the task ends; the distinct stages seen, in order, and the last answer."""
    seen: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        info = _task(cloud, task_id)
        if not seen or seen[-1] != info["current_stage"]:
            seen.append(info["current_stage"])
        if info["state"] != "running":
            return seen, info
        time.sleep(0.02)
    raise AssertionError(f"task {task_id} still running after 30 s: stages seen {seen}")


def test_migration_walks_every_stage_and_leaves_a_pro_cluster_with_unknown_masters(cloud: CloudSandbox) -> None:
    cluster_id = _ready_cluster(cloud, masters=3)

    started = _migrate(cloud, cluster_id)
    state_during = _detail(cloud, cluster_id)["state"]
    stages, final = _follow(cloud, started["task_id"])

    assert started["cluster_id"] == cluster_id and started["task_id"].startswith("T-") and started["request_id"]
    assert state_during == "migrating"
    # A poll sees each 0.2 s stage unless the machine is busy; what it sees must be in order, and the
    # final answer records all five as done (that is what proves the walk, whatever the polls caught).
    assert stages == [name for name in STAGE_NAMES if name in stages] and stages[-1] == STAGE_NAMES[-1]
    assert final["state"] == "success" and final["error"] == {}
    assert [s["state"] for s in final["stages"]] == ["success"] * len(STAGE_NAMES)
    assert final["target"] == {"id": cluster_id, "type": "cluster"}
    assert final["parameters"] == {"oss_bucket_name": BUCKET, "oss_bucket_endpoint": BUCKET_ENDPOINT}
    detail = _detail(cloud, cluster_id)
    assert (detail["cluster_type"], detail["cluster_spec"], detail["state"]) == (
        "ManagedKubernetes", "ack.pro.small", "running"
    )
    masters = [n for n in cloud.control.cluster_state(cluster_id)["nodes"] if n["role"] == "Master"]
    assert [m["ready"] for m in masters] == ["Unknown"] * 3
    assert all(not m["released"] for m in masters)  # ECS instances stay (and stay billed)


def test_cluster_tasks_list_the_migration_so_a_restarted_job_can_find_it(cloud: CloudSandbox) -> None:
    cluster_id = _ready_cluster(cloud)
    task_id = _migrate(cloud, cluster_id)["task_id"]

    body = cloud.call(cloud.roa("GET", "/clusters/[ClusterId]/tasks", action="DescribeClusterTasks",
                                query={"page_size": "10", "page_number": "1"}, ClusterId=cluster_id))

    assert [(t["task_id"], t["task_type"], t["state"]) for t in body["tasks"]] == [
        (task_id, "cluster_migrate", "running")
    ]


def test_the_control_api_times_a_task_from_migrate_cluster_to_its_end(cloud: CloudSandbox) -> None:
    """The task timings tests and benchmarks compute overlap from: when MigrateCluster was accepted, and when
    the last stage ended (none while it runs)."""
    cluster_id = _ready_cluster(cloud)
    before = time.time()
    task_id = _migrate(cloud, cluster_id)["task_id"]
    after = time.time()
    (running,) = cloud.control.cluster_state(cluster_id)["tasks"]
    assert before <= running["started_at"] <= after and running["ended_at"] is None

    _follow(cloud, task_id)

    (ended,) = cloud.control.cluster_state(cluster_id)["tasks"]
    assert ended["state"] == "success"
    assert ended["ended_at"] == pytest.approx(ended["started_at"] + DURATION_S, abs=0.05)


def test_the_api_server_is_down_only_while_the_control_plane_moves(cloud: CloudSandbox) -> None:
    cluster_id = _ready_cluster(cloud)
    task_id = _migrate(cloud, cluster_id)["task_id"]

    down_in: set[str] = set()
    while (info := _task(cloud, task_id))["state"] == "running":
        down = cloud.control.cluster_state(cluster_id)["api_server_down"]
        # Two calls are two moments: count only when the stage did not move between them (under load it can).
        if down and _task(cloud, task_id)["current_stage"] == info["current_stage"]:
            down_in.add(info["current_stage"])
        time.sleep(0.02)

    assert down_in == {"MigrateControlPlane"}
    assert cloud.control.cluster_state(cluster_id)["api_server_down"] is False


@pytest.mark.parametrize(("fail_at", "cluster_state"), [("BackupEtcd", "running"), (4, "failed")])
def test_fail_at_stage_ends_the_task_failed_at_that_stage_with_an_error(
    cloud: CloudSandbox, fail_at: Any, cluster_state: str
) -> None:
    cluster_id = _ready_cluster(cloud, migration={"duration_s": DURATION_S, "fail_at_stage": fail_at})

    stages, final = _follow(cloud, _migrate(cloud, cluster_id)["task_id"])

    failed_stage = fail_at if isinstance(fail_at, str) else STAGE_NAMES[fail_at - 1]
    walked = STAGE_NAMES[: STAGE_NAMES.index(failed_stage) + 1]
    assert stages == [name for name in walked if name in stages] and stages[-1] == failed_stage  # polls in order
    assert [stage["state"] for stage in final["stages"]] == ["success"] * (len(walked) - 1) + ["fail"]
    assert final["state"] == "fail"
    assert final["error"]["code"] == f"{failed_stage}Failed" and final["error"]["message"]
    assert final["stages"][-1]["state"] == "fail"
    detail = _detail(cloud, cluster_id)
    assert (detail["cluster_type"], detail["state"]) == ("Kubernetes", cluster_state)


def test_without_the_oss_grant_the_migration_fails_at_the_etcd_backup_saying_why(cloud: CloudSandbox) -> None:
    cloud.control.create_bucket(BUCKET, REGION)
    cluster_id = cloud.cluster(migration={"duration_s": DURATION_S})  # master role lacks the bucket statement

    _, final = _follow(cloud, _migrate(cloud, cluster_id)["task_id"])

    assert (final["state"], final["current_stage"], final["error"]["code"]) == ("fail", "BackupEtcd",
                                                                                 "BackupEtcdFailed")
    assert f"acs:oss:*:*:{BUCKET}/*" in final["error"]["message"]


def _refusal(cloud: CloudSandbox, cluster_id: str, bucket: str = BUCKET) -> tuple[int, str]:
    with pytest.raises(ServerException) as caught:
        _migrate(cloud, cluster_id, bucket)
    body = json.loads(caught.value.get_error_msg().removeprefix("ServerResponseBody: "))
    return caught.value.get_http_status(), body["code"]


@pytest.mark.parametrize(
    ("spec", "status", "code"),
    [
        ({"whitelisted": False}, 403, "Forbidden.NotInWhitelist"),
        ({"cluster_type": "ManagedKubernetes"}, 400, "ErrorClusterType"),
        ({"state": "upgrading"}, 400, "ErrorClusterState"),
        ({"state": "failed"}, 400, "ErrorClusterState"),
    ],
)
def test_an_ineligible_cluster_is_refused_and_nothing_starts(
    cloud: CloudSandbox, spec: dict[str, Any], status: int, code: str
) -> None:
    cluster_id = _ready_cluster(cloud, **spec)

    assert _refusal(cloud, cluster_id) == (status, code)
    assert cloud.control.cluster_state(cluster_id)["tasks"] == []
    assert _detail(cloud, cluster_id)["state"] == spec.get("state", "running")


def test_a_second_migrate_call_while_migrating_is_refused(cloud: CloudSandbox) -> None:
    cluster_id = _ready_cluster(cloud)
    first = _migrate(cloud, cluster_id)

    assert _refusal(cloud, cluster_id) == (400, "ErrorClusterState")
    assert [t["task_id"] for t in cloud.control.cluster_state(cluster_id)["tasks"]] == [first["task_id"]]


def test_unknown_cluster_missing_bucket_and_unknown_task_are_refused(cloud: CloudSandbox) -> None:
    cluster_id = _ready_cluster(cloud)

    assert _refusal(cloud, "c0000000000000000000000000000000f") == (404, "ErrorClusterNotFound")
    assert _refusal(cloud, cluster_id, bucket="no-such-bucket") == (400, "ErrorOssBucketNotFound")
    with pytest.raises(ServerException) as caught:
        _task(cloud, "T-000000000000000000000000")
    assert caught.value.get_http_status() == 404 and "ErrorTaskNotFound" in caught.value.get_error_msg()


def _clients(cloud: CloudSandbox) -> CloudClients:
    settings = Settings.from_env({
        "ALIBABA_CLOUD_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET,
        "ACKMIGRATE_REGION": REGION,
        "ACKMIGRATE_ACK_ENDPOINT": cloud.url("ack"),
        "ACKMIGRATE_ECS_ENDPOINT": cloud.url("ecs"),
        "ACKMIGRATE_SLB_ENDPOINT": cloud.url("slb"),
        "ACKMIGRATE_RAM_ENDPOINT": cloud.url("ram"),
    })
    return CloudClients.from_settings(settings)


def test_the_projects_ack_client_follows_a_migration_to_success(cloud: CloudSandbox) -> None:
    cluster_id = _ready_cluster(cloud, name="prod-hz-1")
    ack = _clients(cloud).ack

    resolved = ack.resolve_cluster("prod-hz-1")
    task_id, request_id = ack.migrate_cluster(cluster_id, bucket=BUCKET, bucket_endpoint=BUCKET_ENDPOINT)
    found = ack.list_cluster_tasks(cluster_id)
    while (info := ack.describe_task(task_id)).state == "running":
        time.sleep(0.02)

    assert resolved.cluster_id == cluster_id and request_id
    assert [t.task_id for t in found] == [task_id]
    assert info.state == "success" and info.current_stage == "PostCheck"
    assert ack.describe_cluster(cluster_id).cluster_spec == "ack.pro.small"


def test_the_projects_clients_see_refusals_as_their_error_kinds(cloud: CloudSandbox) -> None:
    ack = _clients(cloud).ack
    not_whitelisted = _ready_cluster(cloud, whitelisted=False)
    migrating = _ready_cluster(cloud)
    ack.migrate_cluster(migrating, bucket=BUCKET, bucket_endpoint=BUCKET_ENDPOINT)

    with pytest.raises(Forbidden) as forbidden:
        ack.migrate_cluster(not_whitelisted, bucket=BUCKET, bucket_endpoint=BUCKET_ENDPOINT)
    with pytest.raises(Conflict) as conflict:
        ack.migrate_cluster(migrating, bucket=BUCKET, bucket_endpoint=BUCKET_ENDPOINT)
    with pytest.raises(NotFound):
        ack.describe_cluster("c0000000000000000000000000000000f")

    assert forbidden.value.code == "Forbidden.NotInWhitelist" and "whitelist" in forbidden.value.message
    assert conflict.value.code == "ErrorClusterState"


def test_the_newer_sdk_starts_and_reads_a_migration_too(cloud: CloudSandbox) -> None:
    from alibabacloud_cs20151215 import models as cs
    from alibabacloud_cs20151215.client import Client
    from alibabacloud_tea_openapi.models import Config

    cluster_id = _ready_cluster(cloud)
    client = Client(Config(access_key_id=ACCESS_KEY_ID, access_key_secret=ACCESS_KEY_SECRET,
                           endpoint=cloud.host("ack"), protocol="http", region_id=REGION))

    started = client.migrate_cluster(cluster_id, cs.MigrateClusterRequest(oss_bucket_name=BUCKET,
                                                                          oss_bucket_endpoint=BUCKET_ENDPOINT))
    info = client.describe_task_info(started.body.task_id)

    assert started.body.cluster_id == cluster_id
    assert info.body.state == "running" and info.body.task_type == "cluster_migrate"


def test_in_the_whole_sandbox_acks_kubeconfig_reaches_the_cluster_and_masters_go_unknown(sandbox: Any) -> None:
    """The full runtime, configured from `Sandbox.env()` as a worker is: ACK hands out a kubeconfig for the
    sandbox's Kubernetes API, and after the migration that API reports the old masters NotReady/Unknown."""
    sandbox.control.create_bucket(BUCKET, REGION)
    cluster_id = sandbox.control.create_cluster(name="e2e", masters=3, workers=2, oss_granted_buckets=[BUCKET],
                                                migration={"duration_s": DURATION_S})["cluster_id"]
    clients = CloudClients.from_settings(Settings.from_env(sandbox.env()))
    kube = clients.kube_for(cluster_id)
    masters = {n.instance_id for n in clients.ack.list_nodes(cluster_id) if n.is_master}

    before = {n.name: n.ready for n in kube.list_nodes()}
    task_id, _ = clients.ack.migrate_cluster(cluster_id, bucket=BUCKET, bucket_endpoint=BUCKET_ENDPOINT)
    while clients.ack.describe_task(task_id).state == "running":
        time.sleep(0.02)
    after = {n.instance_id: n.ready for n in kube.list_nodes()}

    assert len(before) == 5 and set(before.values()) == {"True"}
    assert {after[i] for i in masters} == {"Unknown"}
    assert {ready for i, ready in after.items() if i not in masters} == {"True"}
