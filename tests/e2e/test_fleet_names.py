"""Naming one cluster across the fleet, through `serve`, two workers and the sandbox: two accounts (the second
reached only through STS AssumeRole) × two regions. `/ackmigrate migrate b/NAME` is approved and migrated in
account b with b's credentials; a name both accounts hold is answered privately with each, qualified."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.e2e.processes import ALICE, BOB, BUCKET, Stack, running_stack, wait_for
from workers.domain.records import State

pytestmark = pytest.mark.e2e

MAIN_ACCOUNT = "1688000000000001"  # the sandbox's own credentials
B_ACCOUNT = "2000000000000002"
B_ROLE = f"acs:ram::{B_ACCOUNT}:role/ackmigrate"
B_BUCKET = "b-stage-bj"
ACCOUNTS = {"main": {"buckets": {"cn-hangzhou": BUCKET}}, "b": {"role_arn": B_ROLE}}
GROUP = "S0PLATFORM"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack(worker_count=2, ACKMIGRATE_REGIONS="cn-hangzhou,cn-beijing",
                       ACKMIGRATE_ACCOUNTS=json.dumps(ACCOUNTS)) as running:
        assert running.control.create_account(B_ACCOUNT, "b") == B_ROLE
        running.control.create_bucket(B_BUCKET, region_id="cn-beijing", account="b")
        running.control.set_usergroup(GROUP, [BOB])
        yield running


def _answers(stack: Stack, user: str, *, since: int, count: int) -> list[str]:
    """The private answers `user` got after the first `since` (the module shares one workspace)."""
    def answered() -> list[str] | None:
        said = stack.private(user)[since:]
        return said if len(said) >= count else None

    return wait_for(answered, what=f"{count} private answers to {user}")


def test_a_qualified_name_is_migrated_in_its_account_through_sts_exactly_once(stack: Stack) -> None:
    stack.control.create_cluster(name="shop", migration={"duration_s": 2}, oss_granted_buckets=[BUCKET])
    theirs = stack.control.create_cluster(name="shop", region_id="cn-beijing", account="b",
                                          migration={"duration_s": 2}, oss_granted_buckets=[B_BUCKET])

    stack.slash(ALICE, f"migrate b/shop --bucket {B_BUCKET}")
    record = stack.posted_request(theirs["cluster_id"])
    assert (record.account, record.region, record.state) == ("b", "cn-beijing", State.AWAITING_APPROVAL)

    stack.click(BOB, str(record.message_ts), "approve_migration")
    wait_for(lambda: stack.settled(record.id), timeout_s=90, what="migrated, verified and shown")

    assert stack.store.get(record.id).state is State.SUCCEEDED
    migrated = stack.control.calls(service="ack", action="MigrateCluster")
    assert [(c["account"], c["path"]) for c in migrated] == [(B_ACCOUNT, f"/clusters/{theirs['cluster_id']}/migrate")]
    assert stack.control.calls(service="sts", action="AssumeRole"), "account b is reached only through STS"
    # Every step after the request (the approval's re-check, the runbook, the verification) read the
    # cluster with b's credentials: none of main's calls names it.
    about_it = [c for c in stack.control.calls(service="ack") if theirs["cluster_id"] in c["path"]]
    assert about_it and {c["account"] for c in about_it} == {B_ACCOUNT}


def test_a_name_two_accounts_hold_is_answered_privately_with_each_qualified(stack: Stack) -> None:
    ours = stack.control.create_cluster(name="pay")
    theirs = stack.control.create_cluster(name="pay", region_id="cn-beijing", account="b")
    before = len(stack.private(ALICE))

    stack.slash(ALICE, "precheck pay")

    taken, answer = _answers(stack, ALICE, since=before, count=2)
    assert taken.startswith(":hourglass_flowing_sand: Running prechecks for `pay`")
    assert answer.startswith("2 clusters are named pay: ")
    assert f"`main/pay` (cn-hangzhou, {ours['cluster_id']})" in answer
    assert f"`b/pay` (cn-beijing, {theirs['cluster_id']})" in answer
    assert stack.record(ours["cluster_id"]) is None and stack.record(theirs["cluster_id"]) is None
