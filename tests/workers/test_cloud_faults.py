"""Injected faults: throttling is retried to success, a refusal is reported as a refusal, never a pass.

The sandbox's fault API makes the next N calls to a service (or one action) fail the way the real API
does; the call log then shows exactly how many attempts the clients made.
"""

from __future__ import annotations

from typing import Any

import pytest

from workers.checks.model import Outcome
from workers.checks.runner import run_prechecks
from workers.cloud import CloudClients, RetryPolicy
from workers.config import Settings
from workers.errors import Forbidden, Throttled, Unavailable

FAST = RetryPolicy(attempts=4, base_delay_s=0.01, max_delay_s=0.02)
BUCKET = "ack-migrate-hz"


@pytest.fixture
def settings(sandbox: Any) -> Settings:
    return Settings.from_env(sandbox.env())


@pytest.fixture
def clients(settings: Settings) -> CloudClients:
    return CloudClients.from_settings(settings, retry=FAST)


@pytest.fixture
def cluster(sandbox: Any) -> dict[str, Any]:
    """A healthy cluster, its bucket and the sandbox's own view of it (ids to call with)."""
    sandbox.control.create_bucket(BUCKET, "cn-hangzhou")
    created = sandbox.control.create_cluster(name="prod-hz-1", oss_granted_buckets=[BUCKET])
    state: dict[str, Any] = sandbox.control.cluster_state(created["cluster_id"])
    return state


def _statuses(sandbox: Any, service: str, action: str) -> list[int]:
    return [call["status"] for call in sandbox.control.calls(service=service, action=action)]


@pytest.mark.parametrize("http_status", [400, 429])
def test_throttling_twice_is_retried_to_success(
    sandbox: Any, clients: CloudClients, cluster: dict[str, Any], http_status: int
) -> None:
    sandbox.control.fault(
        "ack", "DescribeClusterDetail", http_status=http_status, code="Throttling.User", count=2
    )

    detail = clients.ack.describe_cluster(cluster["cluster_id"])

    assert detail.cluster_id == cluster["cluster_id"]
    assert _statuses(sandbox, "ack", "DescribeClusterDetail") == [http_status, http_status, 200]


@pytest.mark.parametrize(
    ("service", "action"),
    [
        ("slb", "DescribeLoadBalancerAttribute"),
        ("ecs", "DescribeCloudAssistantStatus"),
        ("ram", "GetPolicy"),
        ("oss", "GetBucketInfo"),
        ("kubernetes", None),
    ],
)
def test_throttling_during_a_precheck_is_retried_and_the_check_still_passes(
    sandbox: Any,
    settings: Settings,
    clients: CloudClients,
    cluster: dict[str, Any],
    service: str,
    action: str | None,
) -> None:
    sandbox.control.fault(service, action, http_status=429, code="Throttling.User", count=2)

    report = run_prechecks(clients, settings, cluster=cluster["cluster_id"], bucket=BUCKET)

    assert report.verdict is Outcome.PASS, [c for c in report.checks if c.outcome is not Outcome.PASS]
    throttled = [c for c in sandbox.control.calls(service=service) if c["status"] == 429]
    assert len(throttled) == 2


def test_throttling_that_never_ends_gives_up_after_the_policys_attempts(
    sandbox: Any, clients: CloudClients, cluster: dict[str, Any]
) -> None:
    sandbox.control.fault("slb", http_status=400, code="Throttling.User", count=-1)

    with pytest.raises(Throttled) as raised:
        clients.slb.describe_load_balancer(cluster["api_slb_id"])

    assert raised.value.code == "Throttling.User"
    assert raised.value.request_id
    assert _statuses(sandbox, "slb", "DescribeLoadBalancerAttribute") == [400] * FAST.attempts


def test_an_unavailable_read_is_retried(sandbox: Any, clients: CloudClients, cluster: dict[str, Any]) -> None:
    sandbox.control.fault("ram", "ListPoliciesForRole", http_status=503, code="ServiceUnavailable", count=1)

    policies = clients.ram.list_policies_for_role(cluster["master_role"])

    assert [p.name for p in policies] == cluster["master_policies"]
    assert _statuses(sandbox, "ram", "ListPoliciesForRole") == [503, 200]


def test_an_unavailable_migrate_call_is_not_repeated_because_it_may_have_started(
    sandbox: Any, clients: CloudClients, cluster: dict[str, Any]
) -> None:
    sandbox.control.fault("ack", "MigrateCluster", http_status=503, code="ServiceUnavailable", count=1)

    with pytest.raises(Unavailable) as raised:
        clients.ack.migrate_cluster(
            cluster["cluster_id"], bucket=BUCKET, bucket_endpoint="oss-cn-hangzhou-internal.aliyuncs.com"
        )

    assert (raised.value.action, raised.value.http_status) == ("MigrateCluster", 503)
    assert _statuses(sandbox, "ack", "MigrateCluster") == [503]


def test_a_throttled_migrate_call_is_retried_because_nothing_started(
    sandbox: Any, clients: CloudClients, cluster: dict[str, Any]
) -> None:
    sandbox.control.fault("ack", "MigrateCluster", http_status=400, code="Throttling.User", count=1)

    task = clients.ack.migrate_cluster(
        cluster["cluster_id"], bucket=BUCKET, bucket_endpoint="oss-cn-hangzhou-internal.aliyuncs.com"
    )

    assert task.task_id
    assert _statuses(sandbox, "ack", "MigrateCluster") == [400, 200]
    assert [t["task_id"] for t in sandbox.control.cluster_state(cluster["cluster_id"])["tasks"]] == [
        task.task_id
    ]


def test_a_persistent_403_is_reported_as_error_in_the_precheck_never_as_pass(
    sandbox: Any, settings: Settings, clients: CloudClients, cluster: dict[str, Any]
) -> None:
    sandbox.control.fault(
        "slb", "DescribeLoadBalancerAttribute", http_status=403, code="Forbidden.RAM", count=-1
    )

    report = run_prechecks(clients, settings, cluster=cluster["cluster_id"], bucket=BUCKET)

    slb = report.check("slb-spec")
    assert slb.outcome is Outcome.ERROR
    assert slb.summary.startswith(
        "Could not check: slb DescribeLoadBalancerAttribute failed (HTTP 403): Forbidden.RAM"
    )
    assert report.verdict is Outcome.FAIL
    assert _statuses(sandbox, "slb", "DescribeLoadBalancerAttribute") == [403], "a refusal is not retried"


def test_a_refused_call_raises_forbidden_with_service_action_code_and_request_id(
    sandbox: Any, clients: CloudClients, cluster: dict[str, Any]
) -> None:
    sandbox.control.fault(
        "ecs", http_status=403, code="Forbidden.RAM", message="User not authorized", count=1
    )

    with pytest.raises(Forbidden) as raised:
        clients.ecs.cloud_assistant_status([cluster["nodes"][0]["instance_id"]])

    error = raised.value
    logged = sandbox.control.calls(service="ecs")[-1]
    assert (error.service, error.action, error.code, error.http_status) == (
        "ecs",
        "DescribeCloudAssistantStatus",
        "Forbidden.RAM",
        403,
    )
    assert error.request_id == logged["request_id"]
    assert "User not authorized" in str(error)
