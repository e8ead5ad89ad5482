"""Finding the cluster a single-cluster command names across the fleet (workers.fleet.locate), against the
sandbox: two accounts (the second only through STS) × two regions. What is asserted is the cluster found,
the answer a user would read, and the calls the cloud received."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.workers.runbook_harness import make_context
from workers.context import Context
from workers.fleet.locate import Near, NotLocated, locate

B_ACCOUNT = "2000000000000002"
MAIN_ACCOUNT = "1688000000000001"
REGIONS = "cn-hangzhou,cn-beijing"


def _fleet_context(sandbox: Any, sandbox_env: dict[str, str]) -> Context:
    role = sandbox.control.create_account(B_ACCOUNT, "b")
    accounts = {"main": {}, "b": {"role_arn": role}}
    return make_context(sandbox_env, ACKMIGRATE_REGIONS=REGIONS, ACKMIGRATE_ACCOUNTS=json.dumps(accounts))


def _ack_calls(sandbox: Any) -> list[tuple[str, str, str]]:
    return [(c["action"], c["account"], c["region"]) for c in sandbox.control.calls(service="ack")]


def test_without_a_fleet_an_id_is_one_call_in_the_default_region_as_before(
    sandbox: Any, sandbox_env: dict[str, str]
) -> None:
    created = sandbox.control.create_cluster(name="web-1")
    ctx = make_context(sandbox_env)
    sandbox.control.clear_calls()

    located = locate(ctx, created["cluster_id"])

    assert (located.detail.name, located.account, located.clouds.region) == ("web-1", None, "cn-hangzhou")
    assert [c[0] for c in _ack_calls(sandbox)] == ["DescribeClusterDetail"]


def test_without_a_fleet_an_unknown_name_lists_the_default_regions_clusters_as_before(
    sandbox: Any, sandbox_env: dict[str, str]
) -> None:
    sandbox.control.create_cluster(name="web-1")
    with pytest.raises(NotLocated) as refused:
        locate(make_context(sandbox_env), "web-9")
    assert str(refused.value) == "No cluster named web-9 in cn-hangzhou; found: web-1."


def test_an_id_in_the_default_place_is_found_with_one_call(sandbox: Any, sandbox_env: dict[str, str]) -> None:
    ctx = _fleet_context(sandbox, sandbox_env)
    created = sandbox.control.create_cluster(name="web-1")
    sandbox.control.create_cluster(name="web-1", account="b", region_id="cn-beijing")
    sandbox.control.clear_calls()

    located = locate(ctx, created["cluster_id"])

    assert (located.detail.cluster_id, located.account) == (created["cluster_id"], "main")
    assert _ack_calls(sandbox) == [("DescribeClusterDetail", MAIN_ACCOUNT, "cn-hangzhou")]
    assert not sandbox.control.calls(service="sts"), "the default place needs no other account's credentials"


def test_an_id_in_another_account_is_found_there_through_sts(sandbox: Any, sandbox_env: dict[str, str]) -> None:
    ctx = _fleet_context(sandbox, sandbox_env)
    theirs = sandbox.control.create_cluster(name="db-1", account="b", region_id="cn-beijing")
    sandbox.control.clear_calls()

    located = locate(ctx, theirs["cluster_id"])

    assert (located.detail.name, located.account, located.clouds.region) == ("db-1", "b", "cn-beijing")
    found_in = [c for c in _ack_calls(sandbox) if c[0] == "DescribeClusterDetail"]
    assert found_in[0][1] == MAIN_ACCOUNT and found_in[-1][1] == B_ACCOUNT  # the default place first
    assert not any(c[0] == "DescribeClustersForRegion" for c in _ack_calls(sandbox)), "no discovery for an id"
    assert sandbox.control.calls(service="sts", action="AssumeRole")


def test_an_id_last_seen_in_another_account_is_asked_there_first_with_one_call(
    sandbox: Any, sandbox_env: dict[str, str]
) -> None:
    """The cleanup of a migrated cluster: its migration's account and region are asked before the default."""
    ctx = _fleet_context(sandbox, sandbox_env)
    theirs = sandbox.control.create_cluster(name="db-1", account="b", region_id="cn-beijing")
    sandbox.control.clear_calls()

    located = locate(ctx, theirs["cluster_id"], near=Near("b", "cn-beijing"))

    assert (located.detail.name, located.account, located.clouds.region) == ("db-1", "b", "cn-beijing")
    assert _ack_calls(sandbox) == [("DescribeClusterDetail", B_ACCOUNT, "cn-beijing")]


def test_a_name_unique_across_the_fleet_is_found_in_whichever_account_holds_it(
    sandbox: Any, sandbox_env: dict[str, str]
) -> None:
    ctx = _fleet_context(sandbox, sandbox_env)
    sandbox.control.create_cluster(name="web-1")
    theirs = sandbox.control.create_cluster(name="db-1", account="b", region_id="cn-beijing")

    located = locate(ctx, "db-1")

    assert (located.detail.cluster_id, located.account, located.clouds.region) == (
        theirs["cluster_id"], "b", "cn-beijing")


def test_a_name_in_two_accounts_is_ambiguous_and_the_answer_lists_each_qualified_with_its_region(
    sandbox: Any, sandbox_env: dict[str, str]
) -> None:
    ctx = _fleet_context(sandbox, sandbox_env)
    ours = sandbox.control.create_cluster(name="web-1")
    theirs = sandbox.control.create_cluster(name="web-1", account="b", region_id="cn-beijing")

    with pytest.raises(NotLocated) as refused:
        locate(ctx, "web-1")

    answer = str(refused.value)
    assert answer.startswith("2 clusters are named web-1: ")
    assert f"`main/web-1` (cn-hangzhou, {ours['cluster_id']})" in answer
    assert f"`b/web-1` (cn-beijing, {theirs['cluster_id']})" in answer
    assert answer.endswith("Name one as account/name, or by its id.")


def test_a_qualified_name_picks_that_accounts_cluster_and_asks_only_that_account(
    sandbox: Any, sandbox_env: dict[str, str]
) -> None:
    ctx = _fleet_context(sandbox, sandbox_env)
    sandbox.control.create_cluster(name="web-1")
    theirs = sandbox.control.create_cluster(name="web-1", account="b", region_id="cn-beijing")
    sandbox.control.clear_calls()

    located = locate(ctx, "b/web-1")

    assert (located.detail.cluster_id, located.account) == (theirs["cluster_id"], "b")
    assert {account for _, account, _ in _ack_calls(sandbox)} == {B_ACCOUNT}


def test_a_name_in_two_regions_of_one_account_stays_ambiguous_when_qualified(
    sandbox: Any, sandbox_env: dict[str, str]
) -> None:
    ctx = _fleet_context(sandbox, sandbox_env)
    sandbox.control.create_cluster(name="web-1", account="b", region_id="cn-hangzhou")
    sandbox.control.create_cluster(name="web-1", account="b", region_id="cn-beijing")

    with pytest.raises(NotLocated) as refused:
        locate(ctx, "b/web-1")

    assert str(refused.value).startswith("2 clusters are named b/web-1: ")
    assert "(cn-hangzhou, " in str(refused.value) and "(cn-beijing, " in str(refused.value)


def test_an_unknown_name_lists_what_exists_across_the_fleet(sandbox: Any, sandbox_env: dict[str, str]) -> None:
    ctx = _fleet_context(sandbox, sandbox_env)
    sandbox.control.create_cluster(name="web-1")
    sandbox.control.create_cluster(name="db-1", account="b", region_id="cn-beijing")

    with pytest.raises(NotLocated) as refused:
        locate(ctx, "cache-9")

    answer = str(refused.value)
    assert answer.startswith("No cluster named cache-9 in the configured accounts and regions; found: ")
    assert "`main/web-1` (cn-hangzhou, " in answer and "`b/db-1` (cn-beijing, " in answer


def test_a_near_miss_is_offered_as_a_similar_name(sandbox: Any, sandbox_env: dict[str, str]) -> None:
    ctx = _fleet_context(sandbox, sandbox_env)
    sandbox.control.create_cluster(name="web-10", account="b", region_id="cn-beijing")

    with pytest.raises(NotLocated) as refused:
        locate(ctx, "web-1")

    assert "similar names: `b/web-10` (cn-beijing, " in str(refused.value)


def test_an_account_not_configured_is_named_with_those_that_are(sandbox: Any, sandbox_env: dict[str, str]) -> None:
    ctx = _fleet_context(sandbox, sandbox_env)
    with pytest.raises(NotLocated) as refused:
        locate(ctx, "ghost/web-1")
    assert str(refused.value) == "No account `ghost` is configured (ACKMIGRATE_ACCOUNTS); accounts: `main`, `b`."


def test_a_place_that_cannot_be_listed_means_a_name_is_not_picked(sandbox: Any, sandbox_env: dict[str, str]) -> None:
    """One match with a place unread is not known to be the only one: the user is told to use the id."""
    ctx = _fleet_context(sandbox, sandbox_env)
    sandbox.control.create_cluster(name="web-1")
    sandbox.control.fault("sts", "AssumeRole", http_status=403, code="NoPermission", count=-1)

    with pytest.raises(NotLocated) as refused:
        locate(ctx, "web-1")

    assert str(refused.value).startswith("Could not look for web-1 everywhere (b/cn-")
