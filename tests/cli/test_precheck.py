"""`ackmigrate precheck` as an operator runs it: a subprocess, the sandbox's environment, exit codes.

stdout carries the result only (the checklist, or one JSON document with --json); stderr carries the
live progress and any usage message. Exit 0: nothing blocks; 1: a check failed or could not run;
2: the command was used wrongly (unknown or ambiguous cluster, bad bucket name, missing credentials).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from workers.checks.catalog import CHECK_ORDER

ACKMIGRATE = Path(sys.executable).with_name("ackmigrate")
BUCKET = "ack-migrate-hz"


def _clean_environment() -> dict[str, str]:
    """The caller's environment minus anything that could point ackmigrate somewhere else."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ALIBABA_CLOUD_", "ACKMIGRATE_", "SLACK_", "REDIS_"))
    }


def _run(
    sandbox: Any, tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    # cwd is an empty directory so no stray .env file fills in settings.
    return subprocess.run(
        [str(ACKMIGRATE), "precheck", *args],
        env={**_clean_environment(), **(sandbox.env() if env is None else env)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def box(sandbox: Any) -> Any:
    sandbox.control.create_bucket(BUCKET, "cn-hangzhou")
    return sandbox


def test_a_healthy_cluster_prints_a_passing_checklist_and_exits_0(box: Any, tmp_path: Path) -> None:
    created = box.control.create_cluster(name="prod-hz-1", oss_granted_buckets=[BUCKET])

    done = _run(box, tmp_path, "prod-hz-1", "--bucket", BUCKET)

    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith(f"Cluster prod-hz-1 ({created['cluster_id']}) in cn-hangzhou\n")
    assert "3 masters, 3 workers" in out
    assert f"Bucket {BUCKET} via {BUCKET}.oss-cn-hangzhou.aliyuncs.com" in out
    for check_id in CHECK_ORDER:
        assert f"  {check_id} " in out
    assert "PASS   slb-spec" in out and "INFO   no-rollback" in out
    assert out.rstrip().endswith("Verdict: PASS — ready to migrate")
    assert "Checking prod-hz-1 in cn-hangzhou" in done.stderr
    assert sum(1 for line in done.stderr.splitlines() if line.startswith("  ")) == len(CHECK_ORDER)


def test_a_failing_check_prints_the_fix_and_exits_1(box: Any, tmp_path: Path) -> None:
    box.control.create_cluster(
        name="prod-hz-1", oss_granted_buckets=[BUCKET], pods_on_masters=["default/nginx-7d9f"]
    )

    done = _run(box, tmp_path, "prod-hz-1", "--bucket", BUCKET)

    assert done.returncode == 1
    assert "FAIL   master-pods" in done.stdout
    assert (
        "1 pod other than control-plane and DaemonSet pods runs on masters: default/nginx-7d9f" in done.stdout
    )
    assert "Fix: Move them to workers" in done.stdout
    assert "Verdict: FAIL — blocked by master-pods" in done.stdout


def test_warnings_alone_exit_0(box: Any, tmp_path: Path) -> None:
    box.control.create_cluster(name="prod-hz-1", cgpu="basic")

    done = _run(box, tmp_path, "prod-hz-1")

    assert done.returncode == 0, done.stdout
    assert "WARN   cgpu" in done.stdout and "WARN   oss-bucket" in done.stdout
    assert (
        "Verdict: WARN — ready to migrate; read the warnings first (oss-bucket, ram-policy, cgpu)"
        in done.stdout
    )


def test_json_prints_one_document_with_every_check(box: Any, tmp_path: Path) -> None:
    created = box.control.create_cluster(name="prod-hz-1", slb_spec="shared", oss_granted_buckets=[BUCKET])

    done = _run(box, tmp_path, created["cluster_id"], "--bucket", BUCKET, "--json")

    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert document["cluster_id"] == created["cluster_id"]
    assert document["verdict"] == "fail"
    assert [check["id"] for check in document["checks"]] == list(CHECK_ORDER)
    outcomes = {check["id"]: check["outcome"] for check in document["checks"]}
    assert outcomes["slb-spec"] == "fail" and outcomes["oss-bucket"] == "pass"
    assert len(document["masters"]) == 3


def test_a_check_that_could_not_run_shows_error_and_exits_1(box: Any, tmp_path: Path) -> None:
    box.control.create_cluster(name="prod-hz-1", oss_granted_buckets=[BUCKET])
    box.control.fault("slb", "DescribeLoadBalancerAttribute", http_status=403, code="Forbidden.RAM", count=-1)

    done = _run(box, tmp_path, "prod-hz-1", "--bucket", BUCKET)

    assert done.returncode == 1
    assert "ERROR  slb-spec" in done.stdout
    assert (
        "Could not check: slb DescribeLoadBalancerAttribute failed (HTTP 403): Forbidden.RAM" in done.stdout
    )
    assert "Verdict: FAIL — blocked by slb-spec" in done.stdout


def test_an_already_managed_cluster_shows_the_master_checks_as_skipped(box: Any, tmp_path: Path) -> None:
    box.control.create_cluster(
        name="prod-hz-pro", cluster_type="ManagedKubernetes", cluster_spec="ack.pro.small"
    )

    done = _run(box, tmp_path, "prod-hz-pro", "--bucket", BUCKET)

    assert done.returncode == 1
    out = done.stdout
    assert "0 masters, 3 workers" in out
    assert (
        "SKIP   master-pods      No workloads on masters\n"
        "       Skipped: the cluster is already an ACK Pro cluster, "
        "so it has no masters of its own for workloads to be left on.\n"
        "PASS   oss-bucket" in out
    )
    assert "SKIP   cloud-assistant" in out and "SKIP   ram-policy" in out
    assert "ERROR" not in out
    assert out.rstrip().endswith(
        "Verdict: FAIL — blocked by cluster-type; not applicable: cloud-assistant, master-pods, ram-policy, "
        "ack-migration-check"
    )
    assert "  skip  ram-policy" in done.stderr.splitlines()


def test_json_carries_skip_as_its_own_outcome(box: Any, tmp_path: Path) -> None:
    box.control.create_cluster(
        name="prod-hz-pro", cluster_type="ManagedKubernetes", cluster_spec="ack.pro.small"
    )

    done = _run(box, tmp_path, "prod-hz-pro", "--bucket", BUCKET, "--json")

    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert document["verdict"] == "fail"
    checks = {check["id"]: check for check in document["checks"]}
    skipped = sorted(check_id for check_id, check in checks.items() if check["outcome"] == "skip")
    assert skipped == ["ack-migration-check", "cloud-assistant", "master-pods", "ram-policy"]
    assert checks["ram-policy"]["summary"] == (
        "Skipped: the cluster is already an ACK Pro cluster, so it has no master RAM role to grant the bucket to."
    )
    assert (checks["ram-policy"]["fix"], checks["ram-policy"]["doc_url"]) == ("", "")
    assert checks["cluster-type"]["outcome"] == "fail"


def test_an_unreadable_cluster_exits_1_with_the_reason(box: Any, tmp_path: Path) -> None:
    created = box.control.create_cluster(name="prod-hz-1")
    box.control.fault("ack", "DescribeClusterDetail", http_status=403, code="Forbidden.RAM", count=-1)

    done = _run(box, tmp_path, created["cluster_id"])

    assert done.returncode == 1
    assert done.stdout == ""
    assert f"could not read cluster {created['cluster_id']}" in done.stderr
    assert "Forbidden.RAM" in done.stderr


def test_an_unknown_cluster_is_a_usage_error_listing_what_exists(box: Any, tmp_path: Path) -> None:
    created = box.control.create_cluster(name="prod-hz-1")

    done = _run(box, tmp_path, "prod-hz-9", "--json")

    assert done.returncode == 2
    assert done.stdout == ""
    assert "ackmigrate precheck: no cluster with id or name 'prod-hz-9' in cn-hangzhou" in done.stderr
    assert created["cluster_id"] in done.stderr


def test_an_ambiguous_name_is_a_usage_error(box: Any, tmp_path: Path) -> None:
    box.control.create_cluster(name="prod")
    box.control.create_cluster(name="prod")

    done = _run(box, tmp_path, "prod")

    assert done.returncode == 2
    assert "2 clusters are named 'prod'" in done.stderr and "use the cluster id" in done.stderr


def test_region_flag_looks_in_that_region(box: Any, tmp_path: Path) -> None:
    created = box.control.create_cluster(name="prod-sh", region_id="cn-shanghai")

    done = _run(box, tmp_path, "prod-sh", "--region", "cn-shanghai", "--json")

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["cluster_id"] == created["cluster_id"]
    assert "Checking prod-sh in cn-shanghai" in done.stderr


def test_an_invalid_bucket_name_is_a_usage_error_before_any_call(box: Any, tmp_path: Path) -> None:
    box.control.create_cluster(name="prod-hz-1")

    done = _run(box, tmp_path, "prod-hz-1", "--bucket", "Not_A_Bucket")

    assert done.returncode == 2
    assert "'Not_A_Bucket' is not a valid OSS bucket name" in done.stderr
    assert box.control.calls() == []


def test_a_malformed_region_is_a_usage_error_before_any_call(box: Any, tmp_path: Path) -> None:
    done = _run(box, tmp_path, "prod-hz-1", "--region", "Hangzhou")

    assert done.returncode == 2
    assert "--region must be a region id like cn-hangzhou (got 'Hangzhou')" in done.stderr
    assert box.control.calls() == []


def test_missing_credentials_are_a_usage_error_naming_the_variable(box: Any, tmp_path: Path) -> None:
    env = {k: v for k, v in box.env().items() if k != "ALIBABA_CLOUD_ACCESS_KEY_SECRET"}

    done = _run(box, tmp_path, "prod-hz-1", env=env)

    assert done.returncode == 2
    assert "ALIBABA_CLOUD_ACCESS_KEY_SECRET is not set" in done.stderr


def test_a_missing_cluster_argument_is_a_usage_error(box: Any, tmp_path: Path) -> None:
    done = _run(box, tmp_path)

    assert done.returncode == 2
    assert "CLUSTER" in done.stderr


def _fleet_env(box: Any) -> dict[str, str]:
    """Two accounts (b only through STS) × two regions, as ACKMIGRATE_ACCOUNTS/ACKMIGRATE_REGIONS name them."""
    role = box.control.create_account("2000000000000002", "b")
    accounts = {"main": {}, "b": {"role_arn": role}}
    return {**box.env(), "ACKMIGRATE_REGIONS": "cn-hangzhou,cn-beijing", "ACKMIGRATE_ACCOUNTS": json.dumps(accounts)}


def test_with_a_fleet_a_qualified_name_is_checked_in_its_account_and_region(box: Any, tmp_path: Path) -> None:
    env = _fleet_env(box)
    box.control.create_cluster(name="shop")
    theirs = box.control.create_cluster(name="shop", account="b", region_id="cn-beijing")

    done = _run(box, tmp_path, "b/shop", "--json", env=env)

    assert done.returncode in (0, 1), done.stderr  # the checks ran (b has no bucket: that may warn or block)
    report = json.loads(done.stdout)
    assert (report["cluster_id"], report["region_id"]) == (theirs["cluster_id"], "cn-beijing")
    assert "Checking b/shop in cn-beijing" in done.stderr


def test_with_a_fleet_a_name_two_accounts_hold_is_a_usage_error_naming_each(box: Any, tmp_path: Path) -> None:
    env = _fleet_env(box)
    ours = box.control.create_cluster(name="shop")
    theirs = box.control.create_cluster(name="shop", account="b", region_id="cn-beijing")

    done = _run(box, tmp_path, "shop", env=env)

    assert done.returncode == 2
    assert done.stdout == ""
    assert "ackmigrate precheck: 2 clusters are named shop: " in done.stderr
    assert f"`main/shop` (cn-hangzhou, {ours['cluster_id']})" in done.stderr
    assert f"`b/shop` (cn-beijing, {theirs['cluster_id']})" in done.stderr
