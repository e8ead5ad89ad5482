"""ACK's ClusterMigrate check read tolerantly: its documented status is only the example `Succeeded`, and
its items are free-form maps, so anything that is not plainly a pass is never shown as one."""

from __future__ import annotations

import pytest

from workers.checks.ack_check import check_ack_migration, run_ack_check, still_running
from workers.checks.model import Outcome
from workers.cloud.models import ClusterCheckItem, ClusterCheckRun


def _run(status: str, *items: tuple[str, str], finished_at: str = "2026-12-01T10:00:00Z",
         message: str = "") -> ClusterCheckRun:
    return ClusterCheckRun(
        check_id="chk-1", check_type="ClusterMigrate", status=status, message=message, created_at="",
        finished_at=finished_at, items=tuple(ClusterCheckItem("Resources", n, s, f"{n} said {s}") for n, s in items),
    )


@pytest.mark.parametrize("status", ["Succeeded", "succeeded", "Success", "PASS"])
def test_pass_spellings_pass(status: str) -> None:
    assert check_ack_migration(_run(status, ("VPC", "Succeeded"))).outcome is Outcome.PASS


@pytest.mark.parametrize("status", ["Failed", "failed", "Fail", "Error"])
def test_fail_spellings_fail_naming_the_items(status: str) -> None:
    check = check_ack_migration(_run(status, ("VPC", "Succeeded"), ("VSwitchFreeIP", "Failed")))
    assert check.outcome is Outcome.FAIL
    assert "Resources/VSwitchFreeIP: VSwitchFreeIP said Failed" in check.summary
    assert "VPC" not in check.summary


def test_a_failed_check_without_items_shows_acks_message() -> None:
    check = check_ack_migration(_run("Failed", message="api server slb not found"))
    assert check.outcome is Outcome.FAIL
    assert "api server slb not found" in check.summary


def test_a_passed_check_with_a_failed_item_fails() -> None:
    assert check_ack_migration(_run("Succeeded", ("Components", "Failed"))).outcome is Outcome.FAIL


def test_a_passed_check_with_an_item_of_unknown_status_warns() -> None:
    check = check_ack_migration(_run("Succeeded", ("Components", "Warning")))
    assert check.outcome is Outcome.WARN
    assert "Components" in check.summary


@pytest.mark.parametrize("status", ["Canceled", "Unknown", "Skipped"])
def test_an_unknown_final_status_is_an_error_never_a_pass(status: str) -> None:
    check = check_ack_migration(_run(status, ("VPC", "Succeeded")))
    assert check.outcome is Outcome.ERROR
    assert repr(status) in check.summary


@pytest.mark.parametrize(("status", "finished", "running"), [
    ("Running", "", True), ("", "", True), ("pending", "", True), ("Running", "2026-12-01T10:00:00Z", False),
    ("Succeeded", "", False), ("Canceled", "", False),
])
def test_still_running_until_a_final_status_or_a_finish_time(status: str, finished: str, running: bool) -> None:
    assert still_running(_run(status, finished_at=finished)) is running


def test_the_wait_is_bounded_and_polls_back_off() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    check = run_ack_check(start=lambda: "chk-1", latest_running=lambda: None,
                          get=lambda _id: _run("Running", finished_at=""), timeout_s=3.0,
                          clock=lambda: now[0], sleep=sleep)

    assert check.outcome is Outcome.ERROR and "had not finished after 3 s" in check.summary
    assert slept[:3] == [0.25, 0.5, 1.0] and sum(slept) == pytest.approx(3.0)


def test_a_check_without_an_id_is_an_error() -> None:
    check = run_ack_check(start=lambda: "", latest_running=lambda: None, get=lambda _id: _run("Succeeded"),
                          timeout_s=1.0)
    assert check.outcome is Outcome.ERROR
