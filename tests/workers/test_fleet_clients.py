"""Several accounts through STS: each a separate world, reached only with its role's temporary credentials.

The clients are built as a worker builds them (Settings.from_env over the sandbox's environment plus
ACKMIGRATE_ACCOUNTS); the sandbox's STS signs and checks like the other RPC services.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from alibabacloud_sts20150401 import models as sts_models

from workers.cloud import CloudCredentials, RetryPolicy
from workers.cloud.acs import AcsTransport
from workers.cloud.endpoints import parse_override
from workers.cloud.fleet import FleetClients
from workers.cloud.rpc import rpc_call
from workers.config import Settings
from workers.errors import Forbidden, NotFound

FAST = RetryPolicy(attempts=2, base_delay_s=0.01, max_delay_s=0.02)
B_ACCOUNT = "2000000000000002"


def _fleet(sandbox: Any, accounts: dict[str, Any]) -> FleetClients:
    env = {**sandbox.env(), "ACKMIGRATE_ACCOUNTS": json.dumps(accounts),
           "ACKMIGRATE_REGIONS": "cn-hangzhou,cn-beijing"}
    return FleetClients(Settings.from_env(env), retry=FAST)


def test_each_account_sees_only_its_own_clusters_buckets_and_roles(sandbox: Any) -> None:
    role_arn = sandbox.control.create_account(B_ACCOUNT, "b")
    assert role_arn == f"acs:ram::{B_ACCOUNT}:role/ackmigrate"
    mine = sandbox.control.create_cluster(name="main-1", region_id="cn-hangzhou")
    theirs = sandbox.control.create_cluster(name="b-1", region_id="cn-beijing", account="b")
    sandbox.control.create_bucket("b-stage", region_id="cn-beijing", account="b")
    fleet = _fleet(sandbox, {"main": {}, "b": {"role_arn": role_arn}})
    main, b = fleet.accounts

    assert [c.name for c in fleet.clients(main, "cn-hangzhou").ack.list_clusters()] == ["main-1"]
    assert fleet.clients(main, "cn-beijing").ack.list_clusters() == []
    b_beijing = fleet.clients(b, "cn-beijing")
    assert [c.cluster_id for c in b_beijing.ack.list_clusters()] == [theirs["cluster_id"]]
    assert b_beijing.oss.bucket_info("b-stage").owner_id == B_ACCOUNT
    with pytest.raises(NotFound):  # another account's cluster does not exist for this caller
        b_beijing.ack.describe_cluster(mine["cluster_id"])
    with pytest.raises(Forbidden):
        fleet.clients(main, "cn-beijing").oss.bucket_info("b-stage")
    detail = b_beijing.ack.describe_cluster(theirs["cluster_id"])
    nodes = b_beijing.ack.list_nodes(detail.cluster_id)
    masters = [n.instance_id for n in nodes if n.is_master]
    assert len(b_beijing.ecs.cloud_assistant_status(masters)) == len(masters)


def test_temporary_credentials_are_asked_for_once_and_carry_their_token(sandbox: Any) -> None:
    role_arn = sandbox.control.create_account(B_ACCOUNT, "b")
    fleet = _fleet(sandbox, {"b": {"role_arn": role_arn}})
    (b,) = fleet.accounts
    for region in ("cn-hangzhou", "cn-beijing", "cn-hangzhou"):
        fleet.clients(b, region).ack.list_clusters()
    assumed = sandbox.control.calls(service="sts", action="AssumeRole")
    assert len(assumed) == 1 and assumed[0]["status"] == 200
    assert assumed[0]["params"]["RoleArn"] == role_arn
    assert fleet.credentials(b).security_token  # an STS credential is used with its token


def test_a_role_sts_does_not_know_is_refused_with_stss_own_code(sandbox: Any) -> None:
    fleet = _fleet(sandbox, {"ghost": {"role_arn": "acs:ram::3000000000000003:role/ackmigrate"}})
    (ghost,) = fleet.accounts
    with pytest.raises(Forbidden) as refused:
        fleet.clients(ghost, "cn-hangzhou")
    assert refused.value.code == "NoPermission"


def test_the_assume_role_answer_reads_in_the_official_model(sandbox: Any) -> None:
    """The body the sandbox sends parses in alibabacloud_sts20150401's AssumeRoleResponseBody."""
    role_arn = sandbox.control.create_account(B_ACCOUNT, "b")
    transport = AcsTransport(service="sts", region="cn-hangzhou", credentials=CloudCredentials(
        access_key_id=sandbox.env()["ALIBABA_CLOUD_ACCESS_KEY_ID"],
        access_key_secret=sandbox.env()["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
    ), endpoint=parse_override(sandbox.env()["ACKMIGRATE_STS_ENDPOINT"]), retry=FAST)
    body = rpc_call(transport, product="Sts", version="2015-04-01", action="AssumeRole",
                    params={"RoleArn": role_arn, "RoleSessionName": "ackmigrate-test"})
    model = sts_models.AssumeRoleResponseBody().from_map(body)
    assert model.credentials.access_key_id.startswith("STS.")
    assert model.credentials.expiration.endswith("Z")
    assert model.assumed_role_user.arn.endswith("/ackmigrate-test")
