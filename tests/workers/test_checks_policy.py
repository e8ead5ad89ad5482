"""The master role policy: reading it the way RAM does, adding the grant within RAM's limits, the check."""

from __future__ import annotations

import json
from typing import Any

import pytest

from workers.checks.model import Outcome
from workers.checks.policy import (
    MAX_DOCUMENT_BYTES,
    GrantImpossible,
    check_ram_policy,
    master_role_name,
    oss_statement,
    plan_grant,
    policy_with_oss_statement,
)
from workers.checks.ram_evaluation import BucketObjects, evaluate
from workers.cloud.models import ClusterDetail, ClusterResource, PolicyVersion

ACCOUNT = "1234567890"
OBJECTS = BucketObjects(bucket="b1", region="cn-hangzhou", account=ACCOUNT)
BASE = json.dumps(
    {"Version": "1", "Statement": [{"Action": ["ecs:Describe*"], "Resource": ["*"], "Effect": "Allow"}]}
)
GRANT = {"Effect": "Allow", "Action": ["oss:PutObject", "oss:GetObject"], "Resource": "acs:oss:*:*:b1/*"}


def _doc(*statements: Any) -> str:
    return json.dumps({"Version": "1", "Statement": list(statements)})


def _allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def _deny(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


# (why, statements, allowed for b1 in cn-hangzhou owned by ACCOUNT)
CASES: list[tuple[str, list[dict[str, Any]], bool]] = [
    ("the seed statement", [GRANT], True),
    ("region and account named", [_allow(["oss:PutObject", "oss:GetObject"],
                                         f"acs:oss:cn-hangzhou:{ACCOUNT}:b1/*")], True),
    ("region named, account *", [_allow(["oss:PutObject", "oss:GetObject"], "acs:oss:cn-hangzhou:*:b1/*")], True),
    ("another region", [_allow(["oss:PutObject", "oss:GetObject"], "acs:oss:cn-shanghai:*:b1/*")], False),
    ("another account", [_allow(["oss:PutObject", "oss:GetObject"], "acs:oss:*:999:b1/*")], False),
    ("oss:* on everything", [_allow("oss:*", "*")], True),
    ("* on acs:oss:*:*:*", [_allow("*", "acs:oss:*:*:*")], True),
    ("oss:Put* and oss:Get*", [_allow(["oss:Put*", "oss:Get*"], "acs:oss:*:*:b1/*")], True),
    ("actions in another case", [_allow(["OSS:putobject", "oss:GETOBJECT"], "acs:oss:*:*:b1/*")], True),
    ("bucket wildcard b*", [_allow("oss:*", "acs:oss:*:*:b*")], True),
    ("a short pattern acs:oss:*", [_allow("oss:*", "acs:oss:*")], True),
    ("a region wildcard cn-*", [_allow("oss:*", "acs:oss:cn-*:*:b1/*")], True),
    ("action and resource as strings, two statements", [_allow("oss:PutObject", "acs:oss:*:*:b1/*"),
                                                       _allow("oss:GetObject", "acs:oss:*:*:b1/*")], True),
    ("only GetObject", [_allow("oss:GetObject", "acs:oss:*:*:b1/*")], False),
    ("only a prefix of the objects", [_allow("oss:*", "acs:oss:*:*:b1/etcd/*")], False),
    ("the bucket itself, not its objects", [_allow("oss:*", "acs:oss:*:*:b1")], False),
    ("another bucket", [_allow("oss:*", "acs:oss:*:*:b10/*")], False),
    ("another service's resources", [_allow("oss:*", "acs:ecs:*:*:*")], False),
    ("NotAction that spares the OSS actions", [{"Effect": "Allow", "NotAction": "ram:*", "Resource": "*"}], True),
    ("NotAction that excludes oss:Put*", [{"Effect": "Allow", "NotAction": "oss:Put*", "Resource": "*"}], False),
    ("NotResource of another service", [{"Effect": "Allow", "Action": "oss:*", "NotResource": "acs:ecs:*:*:*"}], True),
    ("NotResource that excludes some of the bucket", [{"Effect": "Allow", "Action": "oss:*",
                                                       "NotResource": "acs:oss:*:*:b1/secret/*"}], False),
    ("an Allow under a Condition is not counted", [_allow("oss:*", "*", Condition={"IpAddress": {"acs:SourceIp": "10.0.0.0/8"}})], False),
    ("Deny of oss:Put* scoped to region and account", [GRANT, _deny("oss:Put*", f"acs:oss:cn-hangzhou:{ACCOUNT}:b1/*")], False),
    ("Deny of oss:Put* on every region, scoped account", [GRANT, _deny("oss:Put*", f"acs:oss:*:{ACCOUNT}:*")], False),
    ("Deny of a part of the bucket", [GRANT, _deny("oss:PutObject", "acs:oss:*:*:b1/etcd/*")], False),
    ("Deny in another region", [GRANT, _deny("oss:*", "acs:oss:cn-shanghai:*:b1/*")], True),
    ("Deny for another account", [GRANT, _deny("oss:*", "acs:oss:*:999:b1/*")], True),
    ("Deny of another action", [GRANT, _deny("oss:DeleteObject", "*")], True),
    ("Deny of another bucket", [GRANT, _deny("oss:*", "acs:oss:*:*:b2/*")], True),
    ("Deny under a Condition may apply", [GRANT, _deny("oss:*", "*", Condition={"Bool": {"acs:SecureTransport": "false"}})], False),
    ("Deny with NotResource elsewhere still hits b1", [GRANT, {"Effect": "Deny", "Action": "oss:*", "NotResource": "acs:oss:*:*:other/*"}], False),
    ("Deny with NotResource covering b1 spares it", [GRANT, {"Effect": "Deny", "Action": "oss:*", "NotResource": "acs:oss:*:*:b1/*"}], True),
    ("Allow and Deny both scoped", [_allow("oss:*", f"acs:oss:cn-hangzhou:{ACCOUNT}:b1/*"),
                                    _deny("oss:GetObject", f"acs:oss:cn-hangzhou:{ACCOUNT}:b1/*")], False),
    ("a statement with no Effect is not read as allowing", [GRANT, {"Action": "oss:*", "Resource": "*"}], False),
]


@pytest.mark.parametrize(("why", "statements", "allowed"), CASES, ids=[c[0] for c in CASES])
def test_policy_is_read_as_ram_evaluates_it(why: str, statements: list[dict[str, Any]], allowed: bool) -> None:
    assert evaluate(_doc(*statements), OBJECTS).allows_bucket is allowed, why


@pytest.mark.parametrize(
    ("resource", "allowed"),
    [("acs:oss:*:*:b1/*", True), (f"acs:oss:*:{ACCOUNT}:b1/*", False), ("acs:oss:cn-hangzhou:*:b1/*", True)],
)
def test_an_unknown_account_counts_only_an_allow_for_every_account(resource: str, allowed: bool) -> None:
    unknown = BucketObjects(bucket="b1", region="cn-hangzhou", account="")
    assert evaluate(_doc(_allow("oss:*", resource)), unknown).allows_bucket is allowed


@pytest.mark.parametrize("deny", [f"acs:oss:*:{ACCOUNT}:b1/*", "acs:oss:*:1?3*:b1/*", "acs:oss:*:*:b1/*"])
def test_an_unknown_account_counts_any_deny_that_could_be_ours(deny: str) -> None:
    unknown = BucketObjects(bucket="b1", region="cn-hangzhou", account="")
    assert not evaluate(_doc(GRANT | {"Resource": "*"}, _deny("oss:PutObject", deny)), unknown).allows_bucket


def test_a_single_statement_object_is_read_like_a_list() -> None:
    assert evaluate(json.dumps({"Version": "1", "Statement": GRANT}), OBJECTS).allows_bucket


def test_oss_statement_is_the_one_the_seed_procedure_asks_for() -> None:
    assert oss_statement("ack-migrate-hz") == {
        "Action": ["oss:PutObject", "oss:GetObject"],
        "Effect": "Allow",
        "Resource": ["acs:oss:*:*:ack-migrate-hz/*"],
    }


def test_adding_the_statement_keeps_the_existing_ones_sends_compact_json_and_then_allows_the_bucket() -> None:
    updated = policy_with_oss_statement(json.dumps(json.loads(BASE), indent=4), "b1")
    assert "\n" not in updated and ", " not in updated and ": " not in updated
    document = json.loads(updated)
    assert document["Statement"][0]["Action"] == ["ecs:Describe*"]
    assert document["Statement"][-1] == oss_statement("b1")
    assert evaluate(updated, OBJECTS).allows_bucket
    assert not evaluate(updated, BucketObjects("b2", "cn-hangzhou", ACCOUNT)).allows_bucket


def _padded(size: int) -> str:
    """A policy document that is exactly `size` bytes once the OSS statement for b1 is added."""
    filler = {"Effect": "Allow", "Action": ["ecs:DescribeInstances"], "Resource": ["x"]}
    document = {"Version": "1", "Statement": [filler]}
    grown = len(policy_with_oss_statement(json.dumps(document), "b1").encode())
    filler["Resource"] = ["x" * (1 + size - grown)]
    return json.dumps(document, indent=2)


def test_a_grant_of_exactly_6144_bytes_is_sent() -> None:
    assert len(policy_with_oss_statement(_padded(MAX_DOCUMENT_BYTES), "b1").encode()) == MAX_DOCUMENT_BYTES


def test_a_grant_one_byte_over_the_limit_is_refused_naming_the_size() -> None:
    with pytest.raises(GrantImpossible, match=r"6,145 bytes, over RAM's limit of 6,144 bytes"):
        policy_with_oss_statement(_padded(MAX_DOCUMENT_BYTES + 1), "b1")


def _versions(count: int, default: int) -> list[PolicyVersion]:
    return [PolicyVersion("p", "Custom", f"v{n}", BASE, n == default, f"2026-0{n}-01T00:00:00Z")
            for n in range(1, count + 1)]


@pytest.mark.parametrize(
    ("count", "default", "removed"),
    [(1, 1, None), (4, 4, None), (5, 5, "v1"), (5, 1, "v2"), (5, 3, "v1")],
)
def test_at_five_versions_the_oldest_non_default_one_makes_room(count: int, default: int, removed: str | None) -> None:
    plan = plan_grant(document_json=BASE, bucket="b1", versions=_versions(count, default))
    assert (plan.remove_version.version_id if plan.remove_version else None) == removed
    assert evaluate(plan.document, OBJECTS).allows_bucket


def test_the_check_passes_a_scoped_grant() -> None:
    check = check_ram_policy(role_name="KubernetesMasterRole-1", policy_name="k8sMasterRolePolicy-1",
                             document_json=_doc(_allow("oss:*", f"acs:oss:cn-hangzhou:{ACCOUNT}:b1/*")),
                             objects=OBJECTS, will_grant=False)
    assert check.outcome is Outcome.PASS


def test_the_check_fails_without_the_grant_with_the_statement_to_add() -> None:
    check = check_ram_policy(role_name="KubernetesMasterRole-1", policy_name="k8sMasterRolePolicy-1",
                             document_json=BASE, objects=OBJECTS, will_grant=False)
    assert check.outcome is Outcome.FAIL
    assert "acs:oss:*:*:b1/*" in check.fix


def test_a_missing_grant_only_warns_when_the_job_will_add_it() -> None:
    check = check_ram_policy(role_name="KubernetesMasterRole-1", policy_name="k8sMasterRolePolicy-1",
                             document_json=BASE, objects=OBJECTS, will_grant=True)
    assert check.outcome is Outcome.WARN
    assert "ACKMIGRATE_GRANT_RAM_POLICY" in check.summary


def test_a_scoped_deny_fails_the_check_even_when_the_job_would_grant() -> None:
    document = _doc(GRANT, _deny("oss:Put*", f"acs:oss:cn-hangzhou:{ACCOUNT}:b1/*"))
    check = check_ram_policy(role_name="KubernetesMasterRole-1", policy_name="k8sMasterRolePolicy-1",
                             document_json=document, objects=OBJECTS, will_grant=True)
    assert check.outcome is Outcome.FAIL
    assert "statement 2" in check.summary and "oss:PutObject" in check.summary
    assert "adding an Allow cannot help" in check.fix


def test_a_conditional_allow_is_named_as_not_counted() -> None:
    document = _doc(_allow("oss:*", "*", Condition={"IpAddress": {"acs:SourceIp": "10.0.0.0/8"}}))
    check = check_ram_policy(role_name="r", policy_name="p", document_json=document, objects=OBJECTS,
                             will_grant=False)
    assert check.outcome is Outcome.FAIL
    assert "only under a Condition" in check.summary


def test_unreadable_policy_document_is_an_error() -> None:
    check = check_ram_policy(role_name="r", policy_name="p", document_json="{not json", objects=OBJECTS,
                             will_grant=False)
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
