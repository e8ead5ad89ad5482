"""The master role policy: recognising the OSS grant, adding it, and the ram-policy check."""

from __future__ import annotations

import json

from workers.checks.model import Outcome
from workers.checks.policy import (
    check_ram_policy,
    master_role_name,
    oss_statement,
    policy_allows_bucket,
    policy_with_oss_statement,
)
from workers.cloud.models import ClusterDetail, ClusterResource

BASE = json.dumps(
    {"Version": "1", "Statement": [{"Action": ["ecs:Describe*"], "Resource": ["*"], "Effect": "Allow"}]}
)


def test_oss_statement_is_the_one_the_seed_procedure_asks_for() -> None:
    assert oss_statement("ack-migrate-hz") == {
        "Action": ["oss:PutObject", "oss:GetObject"],
        "Effect": "Allow",
        "Resource": ["acs:oss:*:*:ack-migrate-hz/*"],
    }


def test_adding_the_statement_keeps_the_existing_ones_and_then_allows_the_bucket() -> None:
    updated = policy_with_oss_statement(BASE, "ack-migrate-hz")
    document = json.loads(updated)
    assert document["Statement"][0]["Action"] == ["ecs:Describe*"]
    assert document["Statement"][-1] == oss_statement("ack-migrate-hz")
    assert policy_allows_bucket(updated, "ack-migrate-hz")
    assert not policy_allows_bucket(updated, "another-bucket")


def test_adding_the_statement_twice_changes_nothing() -> None:
    once = policy_with_oss_statement(BASE, "b1")
    assert policy_with_oss_statement(once, "b1") == once


def test_wildcard_grants_count_as_allowing_the_bucket() -> None:
    document = json.dumps({"Statement": {"Action": "oss:*", "Resource": "acs:oss:*:*:*", "Effect": "Allow"}})
    assert policy_allows_bucket(document, "b1")


def test_a_deny_statement_takes_the_grant_away() -> None:
    document = json.loads(policy_with_oss_statement(BASE, "b1"))
    document["Statement"].append({"Action": "oss:PutObject", "Resource": "*", "Effect": "Deny"})
    assert not policy_allows_bucket(json.dumps(document), "b1")


def test_granting_only_get_is_not_enough() -> None:
    document = json.dumps(
        {"Statement": [{"Action": ["oss:GetObject"], "Resource": ["acs:oss:*:*:b1/*"], "Effect": "Allow"}]}
    )
    assert not policy_allows_bucket(document, "b1")


def test_policy_with_the_grant_passes() -> None:
    check = check_ram_policy(
        role_name="KubernetesMasterRole-1",
        policy_name="k8sMasterRolePolicy-1",
        document_json=policy_with_oss_statement(BASE, "b1"),
        bucket="b1",
        will_grant=False,
    )
    assert check.outcome is Outcome.PASS


def test_policy_without_the_grant_fails_with_the_statement_to_add() -> None:
    check = check_ram_policy(
        role_name="KubernetesMasterRole-1",
        policy_name="k8sMasterRolePolicy-1",
        document_json=BASE,
        bucket="b1",
        will_grant=False,
    )
    assert check.outcome is Outcome.FAIL
    assert "acs:oss:*:*:b1/*" in check.fix


def test_missing_grant_only_warns_when_the_job_will_add_it() -> None:
    check = check_ram_policy(
        role_name="KubernetesMasterRole-1",
        policy_name="k8sMasterRolePolicy-1",
        document_json=BASE,
        bucket="b1",
        will_grant=True,
    )
    assert check.outcome is Outcome.WARN
    assert "ACKMIGRATE_GRANT_RAM_POLICY" in check.summary


def test_unreadable_policy_document_is_an_error() -> None:
    check = check_ram_policy(
        role_name="r", policy_name="p", document_json="{not json", bucket="b1", will_grant=False
    )
    assert check.outcome is Outcome.ERROR


def _detail(parameters: dict[str, str]) -> ClusterDetail:
    return ClusterDetail(
        cluster_id="c1",
        name="n",
        region_id="cn-hangzhou",
        cluster_type="Kubernetes",
        cluster_spec="",
        profile="Default",
        state="running",
        current_version="1.22.15-aliyun.1",
        parameters=parameters,
    )


def test_master_role_is_found_among_ram_role_resources() -> None:
    resources = [
        ClusterResource("KubernetesWorkerRole-x", "ALIYUN::RAM::Role", "", "CREATE_COMPLETE", True),
        ClusterResource("KubernetesMasterRole-x", "ALIYUN::RAM::Role", "", "CREATE_COMPLETE", True),
    ]
    assert master_role_name(detail=_detail({}), resources=resources) == "KubernetesMasterRole-x"


def test_master_role_falls_back_to_the_stack_parameters() -> None:
    detail = _detail({"MasterRoleName": "KubernetesMasterRole-y", "Other": "z"})
    assert master_role_name(detail=detail, resources=[]) == "KubernetesMasterRole-y"
    assert master_role_name(detail=_detail({}), resources=[]) is None
