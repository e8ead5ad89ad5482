"""`/ackmigrate plan` through `serve`, two workers and the sandbox: two accounts (the second reached only
through STS AssumeRole) × two regions. What is asserted is what the channel shows, the files Slack
received through its upload flow, and the calls the cloud received."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.processes import ALICE, BUCKET, CHANNEL, Stack, running_stack, wait_for

pytestmark = pytest.mark.e2e

B_ACCOUNT = "2000000000000002"
B_ROLE = f"acs:ram::{B_ACCOUNT}:role/ackmigrate"
B_BUCKET = "b-stage-bj"
ACCOUNTS = {
    "main": {"buckets": {"cn-hangzhou": BUCKET}},
    "b": {"role_arn": B_ROLE, "buckets": {"cn-beijing": B_BUCKET}},
}
OLD = "1.16.9-aliyun.1"  # below the 1.18 floor: the version check blocks


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack(worker_count=2, ACKMIGRATE_REGIONS="cn-hangzhou,cn-beijing",
                       ACKMIGRATE_ACCOUNTS=json.dumps(ACCOUNTS), ACKMIGRATE_CLOUD_CONCURRENCY="4") as running:
        control = running.control
        assert control.create_account(B_ACCOUNT, "b", quotas={"amk_cluster_quota": 2}) == B_ROLE
        control.create_bucket(B_BUCKET, region_id="cn-beijing", account="b")
        fleet: list[dict[str, Any]] = [
            {"name": "web-1", "region_id": "cn-hangzhou", "oss_granted_buckets": [BUCKET]},
            {"name": "old-1", "region_id": "cn-hangzhou", "current_version": OLD, "oss_granted_buckets": [BUCKET]},
            {"name": "ca-1", "region_id": "cn-hangzhou", "cloud_assistant": False, "oss_granted_buckets": [BUCKET]},
            {"name": "pro-1", "region_id": "cn-beijing", "cluster_type": "ManagedKubernetes"},
            {"name": "b-old", "region_id": "cn-hangzhou", "account": "b", "current_version": OLD},
            {"name": "b-web", "region_id": "cn-beijing", "account": "b", "oss_granted_buckets": [B_BUCKET]},
            {"name": "b-ca", "region_id": "cn-beijing", "account": "b", "cloud_assistant": False,
             "oss_granted_buckets": [B_BUCKET]},
            {"name": "b-pro", "region_id": "cn-beijing", "account": "b", "cluster_type": "ManagedKubernetes"},
        ]
        for spec in fleet:
            control.create_cluster(**spec)
        yield running


def _report(stack: Stack) -> dict[str, Any]:
    def posted() -> dict[str, Any] | None:
        return next((m for m in stack.channel() if str(m.get("text", "")).startswith("Fleet readiness:")), None)

    return wait_for(posted, timeout_s=90, what="the readiness report in the channel")


def test_plan_over_two_accounts_and_two_regions_reports_what_the_sandbox_holds(stack: Stack) -> None:
    stack.slash(ALICE, "plan")
    assert any("Planning the fleet (every account, every region)" in t for t in stack.private(ALICE))
    report = _report(stack)

    # The counts are the sandbox's: every dedicated cluster (both accounts, both regions) and every Pro one.
    world = stack.control.request("GET", "/clusters")
    dedicated = [c for c in world if c["cluster_type"] == "Kubernetes"]
    pro = [c for c in world if c["cluster_type"] == "ManagedKubernetes"]
    assert (len(dedicated), len(pro)) == (6, 2)
    assert report["text"].startswith("Fleet readiness: 2 ready · 4 blocked · 2 already Pro (6 dedicated to migrate)")
    shown = json.dumps(report["blocks"])
    assert "b/cn-beijing: 1 ready, 1 blocked, 1 already Pro" in shown
    assert "main/cn-hangzhou: 1 ready, 2 blocked, 0 already Pro" in shown
    assert "b/cn-hangzhou: 0 ready, 1 blocked, 0 already Pro" in shown

    # The message was posted as progress, then replaced in place by the report.
    assert report["edits"] and report["edits"][0]["text"].startswith("Planning the fleet")

    # b's managed quota (2) could not take b's 3 dedicated clusters next to its Pro one: warned, and said
    # that whether a migrated cluster counts is not documented.
    assert "quota warning for b" in report["text"]
    assert "b: 3 to migrate, 1 managed now; managed-cluster quota 2" in shown
    assert "not documented" in shown

    # The second account was reached through STS, with its own temporary credentials.
    assumed = stack.control.calls(service="sts", action="AssumeRole")
    assert assumed and all(c["status"] == 200 and c["params"]["RoleArn"] == B_ROLE for c in assumed)
    listed = stack.control.calls(service="ack", action="DescribeClustersForRegion")
    assert {c["path"] for c in listed} == {"/regions/cn-hangzhou/clusters", "/regions/cn-beijing/clusters"}
    assert len(listed) >= 4  # each account × region


def test_the_chart_and_the_table_are_shared_in_the_reports_thread_through_the_upload_flow(stack: Stack) -> None:
    report = _report(stack)  # the plan of the test above, or this one's if run alone

    def shared() -> list[dict[str, Any]] | None:
        files = [f for f in stack.control.slack_files() if f["completed"] and f["thread_ts"] == report["ts"]]
        return files if len(files) == 2 else None

    files = {f["name"].rsplit(".", 1)[1]: f for f in wait_for(shared, what="the PNG and the CSV in the thread")}
    assert set(files) == {"png", "csv"} and all(f["channel"] == CHANNEL for f in files.values())

    png = base64.b64decode(files["png"]["content_b64"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) == files["png"]["declared_length"]
    rows = list(csv.DictReader(io.StringIO(base64.b64decode(files["csv"]["content_b64"]).decode())))
    assert sorted((r["account"], r["region"], r["name"], r["readiness"]) for r in rows) == sorted([
        ("main", "cn-hangzhou", "web-1", "ready"),
        ("main", "cn-hangzhou", "old-1", "blocked"),
        ("main", "cn-hangzhou", "ca-1", "blocked"),
        ("main", "cn-beijing", "pro-1", "pro"),
        ("b", "cn-hangzhou", "b-old", "blocked"),
        ("b", "cn-beijing", "b-web", "ready"),
        ("b", "cn-beijing", "b-ca", "blocked"),
        ("b", "cn-beijing", "b-pro", "pro"),
    ])
    by_name = {r["name"]: r for r in rows}
    assert "k8s-version" in by_name["old-1"]["blockers"] and "k8s-version" in by_name["b-old"]["blockers"]
    assert "cloud-assistant" in by_name["b-ca"]["blockers"]

    # Slack's three steps, each received by the stand-in: a URL per file, the bytes to it, one completion.
    calls = {action: stack.control.calls(service="slack", action=action)
             for action in ("files.getUploadURLExternal", "upload", "files.completeUploadExternal")}
    assert [len(calls[a]) for a in calls] == [2, 2, 1]
    assert all(c["status"] == 200 for found in calls.values() for c in found)
    thread = stack.thread(report["ts"])
    assert any(len(m.get("files") or []) == 2 for m in thread)


def test_a_plan_for_an_account_not_configured_is_refused_privately_and_posts_nothing(stack: Stack) -> None:
    before = len(stack.channel())
    stack.slash(ALICE, "plan --account ghost")
    assert any("no account 'ghost' is configured; accounts: main, b" in t for t in stack.private(ALICE))
    assert len(stack.channel()) == before
