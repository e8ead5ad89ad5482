"""`delay_response` faults: the call takes effect and is logged at once, only its answer is late.

This is the window the exactly-once tests need: ACK accepted MigrateCluster, the caller has not heard
yet, and a SIGKILL now must not lead to a second call.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sandbox.client import SandboxControlError
from tests.sandbox.conftest import CloudSandbox


def _assistant(cloud: CloudSandbox) -> dict[str, Any]:
    result: dict[str, Any] = cloud.call(cloud.rpc(
        "ecs", "DescribeCloudAssistantStatus", {"RegionId": "cn-hangzhou", "InstanceId.1": "i-bp1none"}))
    return result


def test_a_delayed_response_is_logged_before_the_caller_gets_its_answer(cloud: CloudSandbox) -> None:
    cloud.control.fault("ecs", "DescribeCloudAssistantStatus", latency_ms=1500, delay_response=True)
    answered: list[dict[str, Any]] = []
    caller = threading.Thread(target=lambda: answered.append(_assistant(cloud)))
    started = time.monotonic()
    caller.start()

    deadline = time.monotonic() + 1.0
    while not cloud.control.calls(service="ecs") and time.monotonic() < deadline:
        time.sleep(0.02)
    logged = cloud.control.calls(service="ecs")
    seen_after, answered_by_then = time.monotonic() - started, list(answered)
    caller.join(timeout=10)

    assert [(c["action"], c["status"]) for c in logged] == [("DescribeCloudAssistantStatus", 200)]
    assert seen_after < 1.0 and answered_by_then == [], "logged while the answer was still held back"
    assert time.monotonic() - started >= 1.5
    assert len(answered) == 1 and answered[0]["TotalCount"] == 0
    assert cloud.control.faults() == [], "used up by the one call"


def test_a_delayed_response_cannot_also_fail(cloud: CloudSandbox) -> None:
    try:
        cloud.control.fault("ecs", http_status=500, latency_ms=100, delay_response=True)
    except SandboxControlError as error:
        assert "delay_response" in str(error)
    else:
        raise AssertionError("a failing delayed response was accepted")
    assert cloud.control.faults() == []
