"""Every precheck against sandbox clusters, one outcome at a time: what the approver would read.

Clusters are built through the sandbox's control API, the clients are configured exactly as a worker's
(`Settings.from_env` over the sandbox's environment), and the `error` outcomes come from injected faults,
so each result below is what the real SDKs made of real HTTP answers.

Outcomes each check can have (the others cannot happen by design):
cluster-type pass/fail · cluster-state pass/fail · k8s-version pass/warn/fail/error · cloud-assistant,
slb-spec, master-pods pass/fail/error (slb-spec also warn) · oss-bucket, ram-policy pass/warn/fail/error ·
cgpu, addons pass/warn/error · whitelist, no-rollback info; cloud-assistant, master-pods and ram-policy are
also `skip` on a cluster that cluster-type knows is not dedicated (managed, serverless, edge, registered).
The three checks on the cluster detail have no `error` of their own: without the detail there is no report
at all, and the run raises (tested below).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from workers.checks.catalog import CHECK_ORDER
from workers.checks.model import CheckResult, Outcome, PrecheckReport
from workers.checks.runner import precheck_pool, run_prechecks
from workers.cloud import CloudClients, RetryPolicy
from workers.config import Settings
from workers.errors import Forbidden
from workers.ui.private_answers import precheck_message

FAST = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.02)
BUCKET = "ack-migrate-hz"
HEALTHY: dict[str, Any] = {"name": "prod-hz-1", "oss_granted_buckets": [BUCKET]}


@pytest.fixture
def box(sandbox: Any) -> Any:
    """The sandbox with the bucket the migration will use already there (in the clusters' region)."""
    sandbox.control.create_bucket(BUCKET, "cn-hangzhou")
    return sandbox


def _precheck(
    sandbox: Any,
    spec: dict[str, Any] | None = None,
    *,
    bucket: str | None = BUCKET,
    settings: dict[str, str] | None = None,
    on_result: Any = None,
) -> PrecheckReport:
    created = sandbox.control.create_cluster(**{**HEALTHY, **(spec or {})})
    configured = Settings.from_env({**sandbox.env(), **(settings or {})})
    clients = CloudClients.from_settings(configured, retry=FAST)
    return run_prechecks(
        clients, configured, cluster=created["cluster_id"], bucket=bucket, on_result=on_result
    )


def _check(report: PrecheckReport, check_id: str) -> CheckResult:
    return report.check(check_id)


def _forbid(sandbox: Any, service: str, action: str | None = None) -> None:
    sandbox.control.fault(
        service, action, http_status=403, code="Forbidden.RAM", message="User not authorized", count=-1
    )


# --- the whole run -------------------------------------------------------------------------------------


def test_a_healthy_dedicated_cluster_passes_every_check(box: Any) -> None:
    report = _precheck(box)

    outcomes = {check.id: check.outcome for check in report.checks}
    assert [check.id for check in report.checks] == list(CHECK_ORDER)
    assert outcomes == {
        **{check_id: Outcome.PASS for check_id in CHECK_ORDER},
        "whitelist": Outcome.INFO,
        "no-rollback": Outcome.INFO,
    }
    assert report.verdict is Outcome.PASS
    assert (report.cluster_name, report.master_count, report.worker_count) == ("prod-hz-1", 3, 3)
    assert report.bucket_endpoint == f"{BUCKET}.oss-cn-hangzhou.aliyuncs.com"  # the SDK's documented example form


def test_each_fact_is_fetched_once_per_run_however_many_checks_read_it(box: Any) -> None:
    _precheck(box)

    ack_actions = [call["action"] for call in box.control.calls(service="ack")]
    assert ack_actions.count("DescribeClusterDetail") == 1
    assert len(box.control.calls(service="ack", action="DescribeClusterDetail")) == 1
    for action in ("DescribeClusterNodes", "DescribeClusterResources", "DescribeClusterUserKubeconfig"):
        assert ack_actions.count(action) == 1, action
    for service in ("ecs", "slb", "ram", "oss"):
        actions = [call["action"] for call in box.control.calls(service=service)]
        assert len(actions) == len(set(actions)), f"{service} was asked twice: {actions}"


def test_progress_is_reported_once_per_check_as_each_finishes(box: Any) -> None:
    seen: list[str] = []

    report = _precheck(box, on_result=lambda check: seen.append(check.id))

    assert sorted(seen) == sorted(CHECK_ORDER)
    assert len(report.checks) == len(CHECK_ORDER)


def test_a_cluster_named_rather_than_numbered_is_checked_the_same(box: Any) -> None:
    created = box.control.create_cluster(name="prod-by-name", oss_granted_buckets=[BUCKET])
    configured = Settings.from_env(box.env())

    report = run_prechecks(
        CloudClients.from_settings(configured, retry=FAST), configured, cluster="prod-by-name", bucket=BUCKET
    )

    assert report.cluster_id == created["cluster_id"]
    assert report.verdict is Outcome.PASS
    assert len(box.control.calls(service="ack", action="DescribeClusterDetail")) == 1


def test_a_caller_that_already_resolved_the_cluster_is_not_asked_for_it_again(box: Any) -> None:
    created = box.control.create_cluster(name="prod-hz-1", oss_granted_buckets=[BUCKET])
    configured = Settings.from_env(box.env())
    clients = CloudClients.from_settings(configured, retry=FAST)
    detail = clients.ack.resolve_cluster("prod-hz-1")

    report = run_prechecks(clients, configured, cluster="prod-hz-1", bucket=BUCKET, detail=detail)

    assert report.cluster_id == created["cluster_id"]
    assert report.verdict is Outcome.PASS
    assert len(box.control.calls(service="ack", action="DescribeClusterDetail")) == 1


def test_a_name_that_looks_like_an_id_is_checked_with_the_real_clusters_facts(box: Any) -> None:
    lookalike = "cprodhangzhou0000000001"
    created = box.control.create_cluster(name=lookalike, pods_on_masters=["default/nginx-7d9f"])
    configured = Settings.from_env(box.env())

    report = run_prechecks(
        CloudClients.from_settings(configured, retry=FAST), configured, cluster=lookalike, bucket=None
    )

    assert report.cluster_id == created["cluster_id"]
    assert report.master_count == 3
    assert "default/nginx-7d9f" in report.check("master-pods").summary
    answered = [
        c for c in box.control.calls(service="ack", action="DescribeClusterNodes") if c["status"] == 200
    ]
    assert [c["path"] for c in answered] == [f"/clusters/{created['cluster_id']}/nodes"]


def test_without_the_cluster_detail_there_is_no_report_but_an_error(box: Any) -> None:
    _forbid(box, "ack", "DescribeClusterDetail")

    with pytest.raises(Forbidden) as raised:
        _precheck(box)

    assert (raised.value.service, raised.value.action, raised.value.code) == (
        "ack",
        "DescribeClusterDetail",
        "Forbidden.RAM",
    )


def test_one_failing_service_fails_exactly_the_checks_that_needed_it(box: Any) -> None:
    _forbid(box, "slb")

    report = _precheck(box)

    errored = [check.id for check in report.checks if check.outcome is Outcome.ERROR]
    assert errored == ["slb-spec"]
    assert report.verdict is Outcome.FAIL
    assert [check.id for check in report.blocking] == ["slb-spec"]


# --- cluster-type ----------------------------------------------------------------------------------------


def test_cluster_type_passes_for_a_dedicated_cluster(box: Any) -> None:
    check = _check(_precheck(box), "cluster-type")
    assert check.outcome is Outcome.PASS
    assert "Dedicated cluster" in check.summary


def test_cluster_type_fails_for_a_cluster_that_is_already_pro(box: Any) -> None:
    check = _check(
        _precheck(box, {"cluster_type": "ManagedKubernetes", "cluster_spec": "ack.pro.small"}), "cluster-type"
    )
    assert check.outcome is Outcome.FAIL
    assert "already an ACK Pro cluster" in check.summary
    assert check.fix == "Nothing to migrate."


def test_cluster_type_fails_for_a_serverless_cluster(box: Any) -> None:
    check = _check(
        _precheck(box, {"cluster_type": "ManagedKubernetes", "profile": "Serverless"}), "cluster-type"
    )
    assert check.outcome is Outcome.FAIL
    assert "profile Serverless" in check.summary


# --- checks that do not apply ---------------------------------------------------------------------------

PRO: dict[str, Any] = {
    "name": "prod-hz-pro", "cluster_type": "ManagedKubernetes", "cluster_spec": "ack.pro.small"
}
MASTER_CHECKS = ("cloud-assistant", "master-pods", "ram-policy", "ack-migration-check")


def test_an_already_managed_cluster_skips_the_master_checks_saying_why(box: Any) -> None:
    report = _precheck(box, PRO)

    outcomes = {check.id: check.outcome for check in report.checks}
    assert {check_id: outcomes[check_id] for check_id in MASTER_CHECKS} == dict.fromkeys(
        MASTER_CHECKS, Outcome.SKIP
    )
    assert Outcome.ERROR not in outcomes.values()
    summaries = {check_id: _check(report, check_id).summary for check_id in MASTER_CHECKS}
    assert summaries == {
        "cloud-assistant": "Skipped: the cluster is already an ACK Pro cluster, "
        "so it has no masters of its own for Cloud Assistant to run on.",
        "master-pods": "Skipped: the cluster is already an ACK Pro cluster, "
        "so it has no masters of its own for workloads to be left on.",
        "ram-policy": "Skipped: the cluster is already an ACK Pro cluster, "
        "so it has no master RAM role to grant the bucket to.",
        "ack-migration-check": "Skipped: the cluster is already an ACK Pro cluster, "
        "so there is no dedicated control plane for ACK's ClusterMigrate check to look at.",
    }
    assert report.verdict is Outcome.FAIL
    assert [check.id for check in report.blocking] == ["cluster-type"]
    # The checks that still mean something on a managed cluster ran and answered.
    assert outcomes["oss-bucket"] is Outcome.PASS and outcomes["slb-spec"] is Outcome.PASS


def test_skipped_checks_ask_nothing_of_ecs_or_ram(box: Any) -> None:
    _precheck(box, PRO)

    assert box.control.calls(service="ecs", action="DescribeCloudAssistantStatus") == []
    assert box.control.calls(service="ram") == []
    assert box.control.calls(service="ack", action="RunClusterCheck") == []


def test_slack_shows_skipped_checks_apart_from_the_passes(box: Any) -> None:
    report = _precheck(box, PRO)

    message = precheck_message(report, report.cluster_name)

    shown = json.dumps(message.blocks, ensure_ascii=False)
    passed = sum(1 for check in report.checks if check.outcome is Outcome.PASS)
    assert passed == 9
    assert "✅ 9 passed · ⚠️ 0 warnings · ❌ 1 failed · ➖ 4 skipped" in message.text
    assert (
        "➖ *Cloud Assistant on every master* — Skipped: the cluster is already an ACK Pro cluster, "
        "so it has no masters of its own for Cloud Assistant to run on." in shown
    )
    assert "❌ Not ready: fix the 1 failure above" in shown


def test_a_dedicated_cluster_without_listed_masters_is_still_an_error_not_a_skip(box: Any) -> None:
    report = _precheck(box, {"masters": 0})

    assert _check(report, "cluster-type").outcome is Outcome.PASS
    assert _check(report, "cloud-assistant").outcome is Outcome.ERROR
    assert _check(report, "master-pods").outcome is Outcome.ERROR
    assert Outcome.SKIP not in {check.outcome for check in report.checks}


def test_a_cluster_of_unreadable_type_skips_nothing(box: Any) -> None:
    report = _precheck(box, {"profile": "Lingjun"})

    assert _check(report, "cluster-type").outcome is Outcome.FAIL
    assert _check(report, "cloud-assistant").outcome is Outcome.PASS
    assert Outcome.SKIP not in {check.outcome for check in report.checks}


def test_errors_on_a_cluster_that_is_not_running_point_at_its_state(box: Any) -> None:
    box.control.fault("kubernetes", None, http_status=503, code="ServiceUnavailable", count=-1)

    report = _precheck(box, {"state": "failed"})

    errored = [check for check in report.checks if check.outcome is Outcome.ERROR]
    kube_checks = ["master-pods", "cgpu", "addons", "terway-pod-networking"]
    assert [check.id for check in errored] == kube_checks
    for check in errored:
        assert check.summary.startswith("Could not check: kubernetes")
        assert check.fix.startswith("The cluster is failed (see cluster-state), the likely cause")
    assert [check.id for check in report.blocking] == ["cluster-state", *kube_checks]


def test_errors_on_a_running_cluster_keep_the_access_fix(box: Any) -> None:
    _forbid(box, "kubernetes")

    check = _check(_precheck(box), "master-pods")

    assert check.outcome is Outcome.ERROR
    assert check.fix.startswith("Fix the access problem")


# --- cluster-state ---------------------------------------------------------------------------------------


def test_cluster_state_passes_when_running(box: Any) -> None:
    assert _check(_precheck(box), "cluster-state").outcome is Outcome.PASS


@pytest.mark.parametrize(
    ("state", "reason"), [("upgrading", "an upgrade is in progress"), ("failed", "not healthy")]
)
def test_cluster_state_fails_when_not_running(box: Any, state: str, reason: str) -> None:
    check = _check(_precheck(box, {"state": state}), "cluster-state")
    assert check.outcome is Outcome.FAIL
    assert f"The cluster is {state}" in check.summary and reason in check.summary


# --- k8s-version -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "outcome"),
    [
        ("1.22.15-aliyun.1", Outcome.PASS),
        ("1.18.8-aliyun.1", Outcome.PASS),
        ("1.17.3-aliyun.1", Outcome.FAIL),  # the current doc's floor is 1.18: below it fails, not warns
        ("1.16.9-aliyun.1", Outcome.FAIL),
        ("1.14.8-aliyun.1", Outcome.FAIL),
        ("unknown", Outcome.ERROR),
    ],
)
def test_k8s_version_against_the_default_thresholds(box: Any, version: str, outcome: Outcome) -> None:
    check = _check(_precheck(box, {"current_version": version}), "k8s-version")
    assert check.outcome is outcome
    assert version in check.summary


def test_k8s_version_thresholds_come_from_the_settings(box: Any) -> None:
    settings = {"ACKMIGRATE_MIN_K8S_VERSION": "1.20", "ACKMIGRATE_ADVISED_K8S_VERSION": "1.24"}

    check = _check(_precheck(box, {"current_version": "1.18.8-aliyun.1"}, settings=settings), "k8s-version")

    assert check.outcome is Outcome.FAIL
    assert "older than 1.20" in check.summary and "1.24" in check.fix


def test_k8s_version_only_warns_when_an_operator_lowers_the_floor_below_the_advised_release(box: Any) -> None:
    settings = {"ACKMIGRATE_MIN_K8S_VERSION": "1.16"}

    check = _check(_precheck(box, {"current_version": "1.16.9-aliyun.1"}, settings=settings), "k8s-version")

    assert check.outcome is Outcome.WARN
    assert "1.18" in check.summary


# --- cloud-assistant ------------------------------------------------------------------------------------


def test_cloud_assistant_passes_when_every_master_runs_it(box: Any) -> None:
    check = _check(_precheck(box), "cloud-assistant")
    assert check.outcome is Outcome.PASS
    assert "all 3 masters" in check.summary


def test_cloud_assistant_fails_naming_the_master_without_it(box: Any) -> None:
    report = _precheck(box, {"cloud_assistant": [True, False, True]})

    check = _check(report, "cloud-assistant")
    bare = report.masters[1]
    assert check.outcome is Outcome.FAIL
    assert "1 of 3 masters" in check.summary
    assert bare.instance_id in check.summary and bare.node_name in check.summary


def test_cloud_assistant_is_an_error_when_ecs_refuses(box: Any) -> None:
    _forbid(box, "ecs", "DescribeCloudAssistantStatus")

    check = _check(_precheck(box), "cloud-assistant")

    assert check.outcome is Outcome.ERROR
    assert "ecs DescribeCloudAssistantStatus failed (HTTP 403): Forbidden.RAM" in check.summary


# --- slb-spec --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["slb.s1.small", "slb.s3.large", "slb.lcu.elastic"])
def test_slb_spec_passes_at_or_above_the_minimum(box: Any, spec: str) -> None:
    check = _check(_precheck(box, {"slb_spec": spec}), "slb-spec")
    assert check.outcome is Outcome.PASS
    assert spec in check.summary


def test_slb_spec_fails_for_a_shared_performance_instance(box: Any) -> None:
    check = _check(_precheck(box, {"slb_spec": "shared"}), "slb-spec")
    assert check.outcome is Outcome.FAIL
    assert "shared-performance" in check.summary


def test_slb_spec_fails_below_a_raised_minimum(box: Any) -> None:
    check = _check(
        _precheck(box, {"slb_spec": "slb.s1.small"}, settings={"ACKMIGRATE_MIN_SLB_SPEC": "slb.s2.small"}),
        "slb-spec",
    )
    assert check.outcome is Outcome.FAIL
    assert "slb.s1.small, below slb.s2.small" in check.summary


def test_slb_spec_warns_when_the_configured_minimum_is_not_a_known_spec(box: Any) -> None:
    check = _check(_precheck(box, settings={"ACKMIGRATE_MIN_SLB_SPEC": "slb.s9.custom"}), "slb-spec")
    assert check.outcome is Outcome.WARN
    assert "cannot be compared with slb.s9.custom" in check.summary


def test_slb_spec_is_an_error_when_slb_refuses(box: Any) -> None:
    _forbid(box, "slb", "DescribeLoadBalancerAttribute")

    check = _check(_precheck(box), "slb-spec")

    assert check.outcome is Outcome.ERROR
    assert "slb DescribeLoadBalancerAttribute failed (HTTP 403)" in check.summary
    assert "[request id " in check.summary


# --- master-pods -----------------------------------------------------------------------------------------


def test_master_pods_passes_with_only_control_plane_and_daemonset_pods(box: Any) -> None:
    check = _check(_precheck(box), "master-pods")
    assert check.outcome is Outcome.PASS
    assert "3 masters" in check.summary


def test_master_pods_fails_naming_the_pods_left_on_masters(box: Any) -> None:
    report = _precheck(box, {"pods_on_masters": ["default/nginx-7d9f", "monitoring/grafana-0"]})

    check = _check(report, "master-pods")
    assert check.outcome is Outcome.FAIL
    assert "2 pods" in check.summary
    assert "default/nginx-7d9f" in check.summary and "monitoring/grafana-0" in check.summary


def test_master_pods_is_an_error_when_the_api_server_refuses(box: Any) -> None:
    _forbid(box, "kubernetes")

    report = _precheck(box)

    check = _check(report, "master-pods")
    assert check.outcome is Outcome.ERROR
    assert "kubernetes" in check.summary and "403" in check.summary


# --- oss-bucket ------------------------------------------------------------------------------------------


def test_oss_bucket_passes_in_the_clusters_region_without_hotlink_protection(box: Any) -> None:
    check = _check(_precheck(box), "oss-bucket")
    assert check.outcome is Outcome.PASS
    assert f"Bucket {BUCKET} is in oss-cn-hangzhou" in check.summary


def test_oss_bucket_warns_when_no_bucket_is_named(box: Any) -> None:
    report = _precheck(box, bucket=None)
    assert _check(report, "oss-bucket").outcome is Outcome.WARN
    assert report.bucket is None and report.bucket_endpoint is None
    assert not box.control.calls(service="oss")


def test_oss_bucket_fails_when_the_bucket_does_not_exist(box: Any) -> None:
    check = _check(_precheck(box, bucket="ack-no-such-bucket"), "oss-bucket")
    assert check.outcome is Outcome.FAIL
    assert check.summary == "Bucket ack-no-such-bucket does not exist."
    assert "Create bucket ack-no-such-bucket in cn-hangzhou" in check.fix


def test_oss_bucket_fails_when_it_is_in_another_region(box: Any) -> None:
    box.control.create_bucket("ack-migrate-sh", "cn-shanghai")

    check = _check(_precheck(box, bucket="ack-migrate-sh"), "oss-bucket")

    assert check.outcome is Outcome.FAIL
    assert "is in oss-cn-shanghai, not in the cluster's region (oss-cn-hangzhou)" in check.summary


def test_oss_bucket_fails_when_hotlink_protection_is_on(box: Any) -> None:
    box.control.create_bucket("ack-guarded-hz", "cn-hangzhou", referers=["https://console.example.com"])

    check = _check(
        _precheck(box, {"oss_granted_buckets": ["ack-guarded-hz"]}, bucket="ack-guarded-hz"), "oss-bucket"
    )

    assert check.outcome is Outcome.FAIL
    assert "hotlink protection on" in check.summary and "https://console.example.com" in check.summary


def test_oss_bucket_is_an_error_when_oss_refuses(box: Any) -> None:
    box.control.fault("oss", http_status=403, code="AccessDenied", message="You have no right", count=-1)

    check = _check(_precheck(box), "oss-bucket")

    assert check.outcome is Outcome.ERROR
    assert "oss GetBucketInfo failed (HTTP 403): AccessDenied" in check.summary


# --- ram-policy ------------------------------------------------------------------------------------------


def test_ram_policy_passes_when_the_master_role_may_use_the_bucket(box: Any) -> None:
    check = _check(_precheck(box), "ram-policy")
    assert check.outcome is Outcome.PASS
    assert f"{BUCKET}/*" in check.summary and "k8sMasterRolePolicy-" in check.summary


def test_ram_policy_fails_without_the_statement_and_shows_the_statement_to_add(box: Any) -> None:
    check = _check(_precheck(box, {"oss_granted_buckets": []}), "ram-policy")
    assert check.outcome is Outcome.FAIL
    assert f'"Resource": ["acs:oss:*:*:{BUCKET}/*"]' in check.fix


def test_ram_policy_warns_when_the_migrate_job_will_add_the_statement(box: Any) -> None:
    check = _check(
        _precheck(box, {"oss_granted_buckets": []}, settings={"ACKMIGRATE_GRANT_RAM_POLICY": "true"}),
        "ram-policy",
    )
    assert check.outcome is Outcome.WARN
    assert "the migrate job will add the statement" in check.summary


def test_ram_policy_warns_when_no_bucket_is_named(box: Any) -> None:
    check = _check(_precheck(box, bucket=None), "ram-policy")
    assert check.outcome is Outcome.WARN
    assert not box.control.calls(service="ram")


def test_ram_policy_is_an_error_when_ram_refuses(box: Any) -> None:
    _forbid(box, "ram", "GetPolicy")

    check = _check(_precheck(box), "ram-policy")

    assert check.outcome is Outcome.ERROR
    assert "ram GetPolicy failed (HTTP 403): Forbidden.RAM" in check.summary


# --- whitelist and no-rollback: shown, never checked --------------------------------------------------


def test_whitelist_is_always_shown_as_information(box: Any) -> None:
    check = _check(_precheck(box, {"whitelisted": False}), "whitelist")
    assert check.outcome is Outcome.INFO
    assert "ticket" in check.fix


def test_no_rollback_names_how_many_masters_stay_billed(box: Any) -> None:
    check = _check(_precheck(box, {"masters": 5}), "no-rollback")
    assert check.outcome is Outcome.INFO
    assert "cannot be rolled back" in check.summary and "the 5 masters" in check.summary


def test_no_rollback_is_still_shown_when_the_nodes_cannot_be_listed(box: Any) -> None:
    _forbid(box, "ack", "DescribeClusterNodes")

    report = _precheck(box)

    assert _check(report, "no-rollback").outcome is Outcome.INFO
    assert report.master_count is None
    assert _check(report, "cloud-assistant").outcome is Outcome.ERROR
    assert _check(report, "master-pods").outcome is Outcome.ERROR


# --- cgpu ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edition", "outcome", "words"),
    [
        ("none", Outcome.PASS, "No cGPU components"),
        ("professional", Outcome.PASS, "cGPU Professional Edition"),
        ("basic", Outcome.WARN, "cGPU Basic Edition is installed"),
    ],
)
def test_cgpu_edition(box: Any, edition: str, outcome: Outcome, words: str) -> None:
    report = _precheck(box, {"cgpu": edition})

    check = _check(report, "cgpu")
    assert check.outcome is outcome
    assert words in check.summary
    assert report.cgpu == edition


def test_cgpu_is_an_error_when_workloads_cannot_be_listed(box: Any) -> None:
    _forbid(box, "kubernetes")

    report = _precheck(box, {"cgpu": "basic"})

    assert _check(report, "cgpu").outcome is Outcome.ERROR
    assert report.cgpu == ""


# --- addons ----------------------------------------------------------------------------------------------


def test_addons_pass_when_none_needs_a_step(box: Any) -> None:
    assert _check(_precheck(box), "addons").outcome is Outcome.PASS


def test_addons_warn_with_the_step_each_one_needs(box: Any) -> None:
    report = _precheck(box, {"addons": ["alb-ingress-controller", "ack-virtual-node", "terway-controlplane"]})

    check = _check(report, "addons")
    assert check.outcome is Outcome.WARN
    assert "Reinstall the ALB Ingress controller after the migration" in check.fix
    assert "reinstall ack-virtual-node after the migration" in check.fix
    assert "terway" not in check.fix  # terway-pod-networking has every step of its own
    assert _check(report, "terway-pod-networking").outcome is Outcome.WARN
    assert set(report.addons) == {"alb-ingress-controller", "ack-virtual-node", "terway-controlplane"}


def test_addons_are_an_error_when_workloads_cannot_be_listed(box: Any) -> None:
    _forbid(box, "kubernetes")

    check = _check(_precheck(box, {"addons": ["ack-virtual-node"]}), "addons")

    assert check.outcome is Outcome.ERROR
    assert "Could not check" in check.summary


# --- timezone --------------------------------------------------------------------------------------------


def test_timezone_passes_when_the_cluster_has_one(box: Any) -> None:
    check = _check(_precheck(box, {"timezone": "Asia/Shanghai"}), "timezone")
    assert check.outcome is Outcome.PASS
    assert "Asia/Shanghai" in check.summary


def test_timezone_warns_when_none_is_set_saying_cronjobs_shift(box: Any) -> None:
    check = _check(_precheck(box, {"timezone": ""}), "timezone")
    assert check.outcome is Outcome.WARN
    assert "CronJobs" in check.summary and "ModifyCluster `timezone`" in check.fix


# --- public-api-server -------------------------------------------------------------------------------


def test_public_api_server_passes_for_an_internal_only_api_server(box: Any) -> None:
    assert _check(_precheck(box), "public-api-server").outcome is Outcome.PASS


def test_public_api_server_warns_naming_the_internet_slb_and_the_eip_step(box: Any) -> None:
    report = _precheck(box, {"api_server_public": True})

    check = _check(report, "public-api-server")
    assert check.outcome is Outcome.WARN
    assert "internet-facing SLB lb-" in check.summary
    assert "Bind an EIP to the internal SLB lb-" in check.fix
    assert _check(report, "slb-spec").outcome is Outcome.PASS  # the internal SLB is still the one sized


def test_public_api_server_is_an_error_when_the_slb_cannot_be_read(box: Any) -> None:
    _forbid(box, "slb", "DescribeLoadBalancerAttribute")

    check = _check(_precheck(box, {"api_server_public": True}), "public-api-server")

    assert check.outcome is Outcome.ERROR
    assert "Could not check" in check.summary


# --- terway-pod-networking -------------------------------------------------------------------------------


def test_terway_pod_networking_passes_without_terway_controlplane(box: Any) -> None:
    assert _check(_precheck(box), "terway-pod-networking").outcome is Outcome.PASS


def test_terway_pod_networking_warns_with_every_step_around_the_migration(box: Any) -> None:
    report = _precheck(box, {"terway_pod_networking": True})

    check = _check(report, "terway-pod-networking")
    assert check.outcome is Outcome.WARN
    assert "kube-system/terway-controlplane" in check.summary
    for step in ("scale the terway-controlplane Deployment to 0", "back up then delete its mutating and "
                 "validating webhook configurations", "If the migration fails: restore both webhooks",
                 "reinstall terway-controlplane from the cluster's Add-ons page"):
        assert step in check.fix
    assert "terway-controlplane" in report.addons


def test_terway_pod_networking_is_an_error_when_workloads_cannot_be_listed(box: Any) -> None:
    _forbid(box, "kubernetes")

    check = _check(_precheck(box, {"terway_pod_networking": True}), "terway-pod-networking")

    assert check.outcome is Outcome.ERROR


# --- ack-migration-check -------------------------------------------------------------------------------


def test_ack_migration_check_passes_when_acks_check_passes(box: Any) -> None:
    report = _precheck(box)

    check = _check(report, "ack-migration-check")
    assert check.outcome is Outcome.PASS
    assert "ACK's ClusterMigrate check passed (6 items" in check.summary
    runs = box.control.calls(service="ack", action="RunClusterCheck")
    assert len(runs) == 1 and report.cluster_id in runs[0]["path"]
    assert box.control.calls(service="ack", action="GetClusterCheck")


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ({"vswitch_free_ips": 1}, "Resources/VSwitchFreeIP: check failed: vSwitch"),
        ({"ack_check": {"fail_items": ["ApiServerSLBBackend", "Components"]}}, "Resources/ApiServerSLBBackend"),
    ],
)
def test_ack_migration_check_fails_and_blocks_naming_the_failing_items(
    box: Any, spec: dict[str, Any], named: str
) -> None:
    report = _precheck(box, spec)

    check = _check(report, "ack-migration-check")
    assert check.outcome is Outcome.FAIL
    assert named in check.summary
    assert "ack-migration-check" in [c.id for c in report.blocking]
    shown = json.dumps(precheck_message(report, report.cluster_name).blocks, ensure_ascii=False)
    assert "❌ *ACK's own migration check* — ACK's ClusterMigrate check failed" in shown and named in shown


def test_ack_migration_check_that_cannot_start_is_an_error_not_a_pass(box: Any) -> None:
    _forbid(box, "ack", "RunClusterCheck")

    check = _check(_precheck(box), "ack-migration-check")

    assert check.outcome is Outcome.ERROR
    assert "RunClusterCheck" in check.summary


def test_ack_migration_check_that_does_not_finish_in_time_is_an_error(box: Any) -> None:
    report = _precheck(box, {"ack_check": {"duration_s": 600}}, settings={"ACKMIGRATE_ACK_CHECK_TIMEOUT": "0.6"})

    check = _check(report, "ack-migration-check")
    assert check.outcome is Outcome.ERROR
    assert "had not finished after" in check.summary and "Running" in check.summary


def test_ack_migration_check_already_running_is_followed_not_started_again(box: Any) -> None:
    created = box.control.create_cluster(**HEALTHY, ack_check={"duration_s": 2})  # still running when listed
    configured = Settings.from_env(box.env())
    clients = CloudClients.from_settings(configured, retry=FAST)
    first = clients.ack.run_cluster_check(created["cluster_id"])

    report = run_prechecks(clients, configured, cluster=created["cluster_id"], bucket=BUCKET)

    assert first in _check(report, "ack-migration-check").summary
    assert len(box.control.calls(service="ack", action="RunClusterCheck")) == 1


def test_runs_sharing_a_plan_s_pool_report_what_runs_with_their_own_pools_report(box: Any) -> None:
    """A plan's runs share one precheck_pool sized for the runs at once: each run's fetches and checks wait
    on one another, so the pool must hold all of them (a run's own pool has PRECHECK_THREADS); two runs at
    once in a pool for two end (a pool too small for them would hang) with the same reports as alone."""
    configured = Settings.from_env(box.env())
    clients = CloudClients.from_settings(configured, retry=FAST)
    ids = [box.control.create_cluster(**{**HEALTHY, "name": f"prod-hz-{n}"})["cluster_id"] for n in (2, 3)]
    alone = [run_prechecks(clients, configured, cluster=i, bucket=BUCKET) for i in ids]
    with precheck_pool(2) as pool, ThreadPoolExecutor(2) as runs:
        shared = list(runs.map(lambda i: run_prechecks(clients, configured, cluster=i, bucket=BUCKET, pool=pool),
                               ids))
    outcomes = [{c.id: (c.outcome, c.summary if c.id != "ack-migration-check" else "a new check each run")
                 for c in report.checks} for report in (*alone, *shared)]
    assert outcomes[0] == outcomes[2] and outcomes[1] == outcomes[3]
    assert {c.outcome for c in shared[0].checks} <= {Outcome.PASS, Outcome.INFO, Outcome.WARN}
