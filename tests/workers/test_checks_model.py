"""Reports are stored as JSON and rendered elsewhere: they must round-trip and judge the verdict right."""

from __future__ import annotations

import json

from workers.checks.bucket_checks import bucket_name_problem
from workers.checks.catalog import CHECK_ORDER, error_result, result
from workers.checks.model import MasterInstance, Outcome, PrecheckReport
from workers.checks.notices import no_rollback_notice, whitelist_notice


def _report(*outcomes: Outcome) -> PrecheckReport:
    checks = tuple(
        result(check_id, outcome, f"{check_id} found x")
        for check_id, outcome in zip(CHECK_ORDER, outcomes, strict=False)
    )
    return PrecheckReport(
        cluster_id="c1",
        cluster_name="prod-hz-1",
        region_id="cn-hangzhou",
        current_version="1.22.15-aliyun.1",
        cluster_type="Kubernetes",
        cluster_spec="",
        state="running",
        master_count=1,
        worker_count=3,
        bucket="ack-migrate-hz",
        bucket_endpoint="oss-cn-hangzhou-internal.aliyuncs.com",
        masters=(MasterInstance("i-1", "cn-hangzhou.192.168.0.1", "PrePaid"),),
        cgpu="basic",
        addons=("terway-controlplane",),
        checks=checks,
        checked_at="2026-11-25T06:00:00+00:00",
    )


def test_report_survives_a_json_round_trip() -> None:
    report = _report(Outcome.PASS, Outcome.WARN, Outcome.FAIL, Outcome.ERROR, Outcome.INFO)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["verdict"] == "fail"
    assert PrecheckReport.from_dict(data) == report


def test_an_error_alone_makes_the_verdict_fail() -> None:
    report = _report(Outcome.PASS, Outcome.ERROR)
    assert report.verdict is Outcome.FAIL
    assert [c.id for c in report.blocking] == [CHECK_ORDER[1]]


def test_warnings_and_notices_do_not_block() -> None:
    assert _report(Outcome.PASS, Outcome.WARN, Outcome.INFO).verdict is Outcome.WARN
    assert _report(Outcome.PASS, Outcome.INFO).verdict is Outcome.PASS


def test_a_passing_check_carries_no_fix() -> None:
    assert result("slb-spec", Outcome.PASS, "ok", "do something").fix == ""


def test_error_results_say_the_check_could_not_run() -> None:
    check = error_result("slb-spec", "slb DescribeLoadBalancerAttribute failed (HTTP 403)")
    assert check.outcome is Outcome.ERROR
    assert check.summary.startswith("Could not check: slb DescribeLoadBalancerAttribute")


def test_long_summaries_are_cut() -> None:
    assert len(result("master-pods", Outcome.FAIL, "x" * 5000).summary) == 400


def test_notices_are_informational_and_say_what_to_expect() -> None:
    assert whitelist_notice().outcome is Outcome.INFO
    notice = no_rollback_notice(master_count=3)
    assert notice.outcome is Outcome.INFO
    assert "cannot be rolled back" in notice.summary and "the 3 masters" in notice.summary


def test_bucket_names_follow_the_oss_rules() -> None:
    assert bucket_name_problem("ack-migrate-hz") is None
    assert bucket_name_problem("Bad_Bucket") is not None
    assert bucket_name_problem("ab") is not None
    assert bucket_name_problem("-starts-with-dash") is not None


def test_a_skip_survives_the_json_round_trip_as_skip() -> None:
    report = _report(Outcome.FAIL, Outcome.PASS, Outcome.PASS, Outcome.SKIP)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["checks"][3]["outcome"] == "skip"
    assert PrecheckReport.from_dict(data) == report


def test_a_skip_never_blocks_and_never_hides_the_failure_beside_it() -> None:
    report = _report(Outcome.FAIL, Outcome.PASS, Outcome.PASS, Outcome.SKIP)
    assert report.verdict is Outcome.FAIL
    assert [c.id for c in report.blocking] == [CHECK_ORDER[0]]
    assert not result("master-pods", Outcome.SKIP, "Skipped: …").blocks


def test_a_skipped_check_carries_no_fix_or_doc() -> None:
    check = result("ram-policy", Outcome.SKIP, "Skipped: no master role.", "do something")
    assert (check.fix, check.doc_url) == ("", "")
