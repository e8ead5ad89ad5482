"""The cloud clients against the sandbox: real SDKs, real signatures, real HTTP, plain values back.

Each test builds the clients the way a worker does (`Settings.from_env` over the sandbox's environment)
and checks what an operator would see: the cluster found, the facts read, or an error that names the
service, the action, the vendor code and the request id, and never the secret.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
import yaml

from workers.cloud import CloudClients, KubeClient, RetryPolicy
from workers.config import Settings
from workers.errors import CloudError, Conflict, Forbidden, InvalidRequest, NotFound

FAST = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.02)
WRONG_SECRET = "not-the-sandbox-secret-4242"


def _clients(env: dict[str, str], region: str | None = None) -> CloudClients:
    return CloudClients.from_settings(Settings.from_env(env), region, retry=FAST)


@pytest.fixture
def env(sandbox: Any) -> dict[str, str]:
    """The sandbox's environment alone: prechecks and cloud calls need no Redis."""
    return dict(sandbox.env())


@pytest.fixture
def clients(env: dict[str, str]) -> CloudClients:
    return _clients(env)


# --- resolving what the operator typed ----------------------------------------------------------------


def test_cluster_is_found_by_its_id(sandbox: Any, clients: CloudClients) -> None:
    created = sandbox.control.create_cluster(name="prod-hz-1", current_version="1.20.11-aliyun.1")

    detail = clients.ack.resolve_cluster(created["cluster_id"])

    assert detail.cluster_id == created["cluster_id"]
    assert detail.name == "prod-hz-1"
    assert detail.cluster_type == "Kubernetes"
    assert detail.current_version == "1.20.11-aliyun.1"
    assert detail.region_id == "cn-hangzhou"


def test_cluster_is_found_by_its_name(sandbox: Any, clients: CloudClients) -> None:
    sandbox.control.create_cluster(name="staging-hz")
    created = sandbox.control.create_cluster(name="prod-hz-1")

    detail = clients.ack.resolve_cluster("prod-hz-1")

    assert detail.cluster_id == created["cluster_id"]
    assert [c["action"] for c in sandbox.control.calls(service="ack")] == [
        "DescribeClustersForRegion",
        "DescribeClusterDetail",
    ]


def test_a_name_shared_by_two_clusters_is_refused_naming_both_ids(
    sandbox: Any, clients: CloudClients
) -> None:
    first = sandbox.control.create_cluster(name="prod")
    second = sandbox.control.create_cluster(name="prod")

    with pytest.raises(Conflict) as raised:
        clients.ack.resolve_cluster("prod")

    message = str(raised.value)
    assert "2 clusters are named 'prod'" in message
    assert first["cluster_id"] in message and second["cluster_id"] in message
    assert "use the cluster id" in message
    assert not sandbox.control.calls(service="ack", action="DescribeClusterDetail")


def test_an_unknown_name_is_not_found_and_lists_the_clusters_in_the_region(
    sandbox: Any, clients: CloudClients
) -> None:
    existing = sandbox.control.create_cluster(name="prod-hz-1")

    with pytest.raises(NotFound) as raised:
        clients.ack.resolve_cluster("prod-hz-2")

    message = str(raised.value)
    assert "no cluster with id or name 'prod-hz-2' in cn-hangzhou" in message
    assert f"prod-hz-1 ({existing['cluster_id']}, cn-hangzhou)" in message


def test_an_unknown_name_in_an_empty_region_says_there_are_no_clusters(clients: CloudClients) -> None:
    with pytest.raises(NotFound, match="there are no clusters there"):
        clients.ack.resolve_cluster("prod-hz-1")


def test_clusters_of_another_region_are_found_only_with_that_region(
    sandbox: Any, env: dict[str, str]
) -> None:
    created = sandbox.control.create_cluster(name="prod-sh", region_id="cn-shanghai")

    with pytest.raises(NotFound):
        _clients(env).ack.resolve_cluster("prod-sh")
    detail = _clients(env, region="cn-shanghai").ack.resolve_cluster("prod-sh")

    assert detail.cluster_id == created["cluster_id"]
    assert detail.region_id == "cn-shanghai"


def test_an_unknown_cluster_id_is_not_found_with_the_request_id_the_cloud_logged(
    sandbox: Any, clients: CloudClients
) -> None:
    missing = "c" + "0" * 32

    with pytest.raises(NotFound) as raised:
        clients.ack.describe_cluster(missing)

    error = raised.value
    logged = sandbox.control.calls(service="ack", action="DescribeClusterDetail")
    assert (error.service, error.action, error.code, error.http_status) == (
        "ack",
        "DescribeClusterDetail",
        "ErrorClusterNotFound",
        404,
    )
    assert error.request_id and error.request_id == logged[-1]["request_id"]
    assert f"[request id {error.request_id}]" in str(error)


# --- reading the facts the checks need ------------------------------------------------------------------


def test_nodes_say_which_are_masters_and_how_they_are_billed(sandbox: Any, clients: CloudClients) -> None:
    created = sandbox.control.create_cluster(
        masters=3, workers=2, charge_types=["PrePaid", "PostPaid", "PostPaid"]
    )
    truth = sandbox.control.cluster_state(created["cluster_id"])

    nodes = clients.ack.list_nodes(created["cluster_id"])

    masters = [n for n in nodes if n.is_master]
    assert len(nodes) == 5 and len(masters) == 3
    expected = {n["instance_id"]: n["charge_type"] for n in truth["nodes"] if n["role"] == "Master"}
    assert {m.instance_id: m.charge_type for m in masters} == expected
    assert sorted(expected.values()) == ["PostPaid", "PostPaid", "PrePaid"]


def test_the_api_server_slb_is_the_intranet_one_with_its_spec(sandbox: Any, clients: CloudClients) -> None:
    created = sandbox.control.create_cluster(slb_spec="slb.s3.small")
    truth = sandbox.control.cluster_state(created["cluster_id"])

    detail = clients.ack.describe_cluster(created["cluster_id"])
    intranet = [ref for ref in detail.api_server_load_balancers if ref.endpoint_type == "intranet"]
    lb = clients.slb.describe_load_balancer(intranet[0].load_balancer_id)

    assert lb.load_balancer_id == truth["api_slb_id"]
    assert (lb.spec, lb.address_type) == ("slb.s3.small", "intranet")


def test_a_shared_performance_slb_has_an_empty_spec(sandbox: Any, clients: CloudClients) -> None:
    created = sandbox.control.create_cluster(slb_spec="shared")
    truth = sandbox.control.cluster_state(created["cluster_id"])

    assert clients.slb.describe_load_balancer(truth["api_slb_id"]).spec == ""


def test_cloud_assistant_status_is_reported_per_master(sandbox: Any, clients: CloudClients) -> None:
    created = sandbox.control.create_cluster(masters=3, cloud_assistant=[True, False, True])
    truth = sandbox.control.cluster_state(created["cluster_id"])
    masters = [n for n in truth["nodes"] if n["role"] == "Master"]

    statuses = clients.ecs.cloud_assistant_status([m["instance_id"] for m in masters])

    assert {s.instance_id: s.installed for s in statuses} == {
        m["instance_id"]: m["cloud_assistant"] for m in masters
    }


def test_the_master_role_policy_document_is_read_from_ram(sandbox: Any, clients: CloudClients) -> None:
    created = sandbox.control.create_cluster(oss_granted_buckets=["ack-migrate-hz"])
    truth = sandbox.control.cluster_state(created["cluster_id"])

    resources = clients.ack.list_resources(created["cluster_id"])
    roles = [r.instance_id for r in resources if r.resource_type == "ALIYUN::RAM::Role"]
    policies = clients.ram.list_policies_for_role(roles[0])
    version = clients.ram.get_policy(policies[0].name)

    assert roles == [truth["master_role"]]
    assert [p.name for p in policies] == truth["master_policies"]
    assert version.version_id == "v1"
    assert "acs:oss:*:*:ack-migrate-hz/*" in version.document


def test_bucket_location_and_hotlink_protection_are_read_from_oss(
    sandbox: Any, clients: CloudClients
) -> None:
    sandbox.control.create_bucket("ack-migrate-hz", "cn-hangzhou")
    sandbox.control.create_bucket("ack-guarded-hz", "cn-hangzhou", referers=["https://example.com"])

    info = clients.oss.bucket_info("ack-migrate-hz")

    assert (info.name, info.location) == ("ack-migrate-hz", "oss-cn-hangzhou")
    assert not clients.oss.bucket_referer("ack-migrate-hz").hotlink_protection
    guarded = clients.oss.bucket_referer("ack-guarded-hz")
    assert guarded.hotlink_protection and guarded.referers == ("https://example.com",)


def test_every_bucket_of_every_region_is_listed_across_pages_with_its_location(
    sandbox: Any, clients: CloudClients
) -> None:
    names = [f"ack-list-{i:04d}" for i in range(1005)]  # more than ListBuckets' largest page (1000)
    for name in names:
        sandbox.control.create_bucket(name, "cn-hangzhou")
    sandbox.control.create_bucket("ack-list-sh", "cn-shanghai")

    listed = clients.oss.list_buckets()

    assert [b.name for b in listed] == [*names, "ack-list-sh"]
    assert {(b.name, b.region) for b in listed if b.name in ("ack-list-0000", "ack-list-sh")} == {
        ("ack-list-0000", "cn-hangzhou"), ("ack-list-sh", "cn-shanghai")}
    pages = sandbox.control.calls(service="oss", action="ListBuckets")
    assert [c["status"] for c in pages] == [200, 200]


def test_a_missing_bucket_is_not_found(clients: CloudClients) -> None:
    with pytest.raises(NotFound) as raised:
        clients.oss.bucket_info("ack-no-such-bucket")

    assert (raised.value.service, raised.value.action, raised.value.http_status) == (
        "oss",
        "GetBucketInfo",
        404,
    )
    assert raised.value.request_id


# --- the cluster's own API server, through the kubeconfig ACK hands out --------------------------------


def test_the_kubeconfig_from_ack_reaches_the_clusters_api_server(sandbox: Any, clients: CloudClients) -> None:
    created = sandbox.control.create_cluster(masters=3, workers=2, pods_on_masters=["default/nginx-7d9f"])
    truth = sandbox.control.cluster_state(created["cluster_id"])

    kube = clients.kube_for(created["cluster_id"])
    nodes = kube.list_nodes()
    pods = kube.list_pods()

    assert {n.name: n.instance_id for n in nodes} == {n["name"]: n["instance_id"] for n in truth["nodes"]}
    on_masters = {p.qualified_name for p in pods if p.node_name in {n["name"] for n in truth["nodes"][:3]}}
    assert "default/nginx-7d9f" in on_masters
    assert {d.name for d in kube.list_daemonsets()} >= {"kube-proxy-master", "kube-proxy-worker"}
    assert "coredns" in {d.name for d in kube.list_deployments()}


def test_pods_of_one_node_are_listed_alone(sandbox: Any, clients: CloudClients) -> None:
    created = sandbox.control.create_cluster(masters=1, workers=2, pods_on_masters=["default/nginx-7d9f"])
    master = next(
        n for n in sandbox.control.cluster_state(created["cluster_id"])["nodes"] if n["role"] == "Master"
    )

    pods = clients.kube_for(created["cluster_id"]).list_pods(node_name=master["name"])

    assert pods and {p.node_name for p in pods} == {master["name"]}
    assert "default/nginx-7d9f" in {p.qualified_name for p in pods}


def test_a_kubeconfig_with_a_wrong_token_is_forbidden(sandbox: Any, clients: CloudClients) -> None:
    created = sandbox.control.create_cluster()
    config = yaml.safe_load(clients.ack.user_kubeconfig(created["cluster_id"]).config)
    config["users"][0]["user"]["token"] = "not-the-token"

    kube = KubeClient(kubeconfig=yaml.safe_dump(config), retry=FAST)
    with pytest.raises(Forbidden) as raised:
        kube.list_nodes()

    assert raised.value.service == "kubernetes"
    assert raised.value.http_status in (401, 403)
    assert "not-the-token" not in str(raised.value)


def test_text_that_is_not_a_kubeconfig_is_refused_clearly() -> None:
    with pytest.raises(InvalidRequest, match="not a kubeconfig"):
        KubeClient(kubeconfig="just some text", retry=FAST)


# --- credentials ---------------------------------------------------------------------------------------


def _call_each_service(clients: CloudClients, sandbox: Any) -> dict[str, Any]:
    created = sandbox.control.create_cluster(name="prod")
    sandbox.control.create_bucket("ack-migrate-hz")
    truth = sandbox.control.cluster_state(created["cluster_id"])
    master = next(n for n in truth["nodes"] if n["role"] == "Master")
    return {
        "ack": lambda: clients.ack.describe_cluster(created["cluster_id"]),
        "ecs": lambda: clients.ecs.cloud_assistant_status([master["instance_id"]]),
        "slb": lambda: clients.slb.describe_load_balancer(truth["api_slb_id"]),
        "ram": lambda: clients.ram.list_policies_for_role(truth["master_role"]),
        "oss": lambda: clients.oss.bucket_info("ack-migrate-hz"),
    }


@pytest.mark.parametrize("service", ["ack", "ecs", "slb", "ram", "oss"])
def test_a_wrong_secret_is_forbidden_and_the_error_never_shows_it(
    sandbox: Any, env: dict[str, str], service: str
) -> None:
    clients = _clients({**env, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": WRONG_SECRET})
    call = _call_each_service(clients, sandbox)[service]

    with pytest.raises(Forbidden) as raised:
        call()

    error = raised.value
    assert error.service == service
    assert error.code in ("SignatureDoesNotMatch", "InvalidAccessKeySecret")
    assert error.request_id
    shown = f"{error} {error!r} {error.message}"
    assert WRONG_SECRET not in shown and env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] not in shown
    assert "string to sign" not in shown
    assert len(sandbox.control.calls(service=service)) == 1, "a refused signature is not retried"


def test_an_unknown_access_key_is_forbidden(sandbox: Any, env: dict[str, str]) -> None:
    clients = _clients({**env, "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tNobodyKnowsThis"})

    with pytest.raises(Forbidden) as raised:
        clients.ack.list_clusters()

    assert raised.value.code == "InvalidAccessKeyId.NotFound"


def test_sts_credentials_work_with_their_token_and_fail_without_it(sandbox: Any, env: dict[str, str]) -> None:
    sandbox.control.request(
        "POST",
        "/credentials",
        {"access_key_id": "STS.NTempKey01", "secret": "temp-secret-01", "security_token": "sts-token-01"},
    )
    created = sandbox.control.create_cluster(name="prod")
    sandbox.control.create_bucket("ack-migrate-hz")
    sts_env = {
        **env,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "STS.NTempKey01",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "temp-secret-01",
        "ALIBABA_CLOUD_SECURITY_TOKEN": "sts-token-01",
    }

    clients = _clients(sts_env)
    truth = sandbox.control.cluster_state(created["cluster_id"])
    assert clients.ack.resolve_cluster("prod").cluster_id == created["cluster_id"]
    assert clients.slb.describe_load_balancer(truth["api_slb_id"]).address_type == "intranet"
    assert clients.oss.bucket_info("ack-migrate-hz").location == "oss-cn-hangzhou"

    without_token = _clients({**sts_env, "ALIBABA_CLOUD_SECURITY_TOKEN": ""})
    with pytest.raises(Forbidden) as raised:
        without_token.ack.describe_cluster(created["cluster_id"])
    assert "sts-token-01" not in str(raised.value)


def test_an_endpoint_nobody_listens_on_is_unavailable(env: dict[str, str]) -> None:
    clients = _clients({**env, "ACKMIGRATE_SLB_ENDPOINT": "http://127.0.0.1:9"})

    with pytest.raises(CloudError) as raised:
        clients.slb.describe_load_balancer("lb-anything")

    assert type(raised.value).__name__ == "Unavailable"
    assert raised.value.service == "slb"


def test_a_cluster_resources_answer_leaves_no_sdk_warning_in_the_log(
    sandbox: Any, clients: CloudClients, caplog: pytest.LogCaptureFixture
) -> None:
    """ACK answers DescribeClusterResources with a JSON array; aliyunsdkcore warned of "not json" with the
    whole body for each (500 warnings in a 500-cluster plan). A body that is not JSON is still warned of."""
    cluster = sandbox.control.create_cluster(name="web-1")

    with caplog.at_level(logging.WARNING):
        resources = clients.ack.list_resources(cluster["cluster_id"])
        logging.getLogger("aliyunsdkcore.client").warning(
            "Failed to parse response as json format. Response:%s", b"<html>bad gateway</html>")

    assert resources
    assert [r.getMessage() for r in caplog.records if r.name == "aliyunsdkcore.client"] == [
        "Failed to parse response as json format. Response:b'<html>bad gateway</html>'"]
