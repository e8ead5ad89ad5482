"""The error tree: kinds chosen from vendor codes, safe messages, bounded retries of the right kinds."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import pytest

from workers.cloud.retry import RetryPolicy, call_with_retry
from workers.cloud.translate import error_kind
from workers.errors import (
    CloudError,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    Throttled,
    Unavailable,
)

FAST = RetryPolicy(attempts=4, base_delay_s=0.0)


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("Throttling.User", 400, Throttled),
        ("", 429, Throttled),
        ("InvalidAccessKeyId.NotFound", 404, Forbidden),
        ("SignatureDoesNotMatch", 400, Forbidden),
        ("AccessDenied", 403, Forbidden),
        ("ErrorClusterNotFound", 400, NotFound),
        ("EntityNotExist.Role", 404, NotFound),
        ("NoSuchBucket", 404, NotFound),
        ("ErrorClusterState", 400, Conflict),
        ("", 409, Conflict),
        ("ServiceUnavailable", 503, Unavailable),
        ("InternalError", 500, Unavailable),
        ("InvalidParameter", 400, InvalidRequest),
    ],
)
def test_vendor_codes_map_to_the_project_error_kinds(code: str, status: int, kind: type[CloudError]) -> None:
    assert error_kind(code=code, http_status=status) is kind


def test_message_names_service_action_code_and_request_id() -> None:
    error = Forbidden(
        service="ram",
        action="GetPolicy",
        code="NoPermission",
        message="not allowed",
        request_id="R-1",
        http_status=403,
    )
    assert str(error) == "ram GetPolicy failed (HTTP 403): NoPermission: not allowed [request id R-1]"


def test_errors_survive_pickling_as_rq_stores_them() -> None:
    error = Throttled(service="ack", action="DescribeTaskInfo", code="Throttling", request_id="R-2")
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, Throttled)
    assert str(copy) == str(error)


def _flaky(errors: list[CloudError]) -> tuple[list[int], Callable[[], str]]:
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return "ok"

    return calls, call


def test_throttling_is_retried_until_it_succeeds() -> None:
    calls, call = _flaky([Throttled(service="ack", action="A"), Throttled(service="ack", action="A")])
    assert call_with_retry(call, policy=FAST) == "ok"
    assert len(calls) == 3


def test_retries_stop_after_the_bounded_number_of_attempts() -> None:
    calls, call = _flaky([Unavailable(service="ecs", action="A") for _ in range(10)])
    with pytest.raises(Unavailable):
        call_with_retry(call, policy=FAST)
    assert len(calls) == 4


def test_client_errors_are_not_retried() -> None:
    calls, call = _flaky([Forbidden(service="ram", action="GetPolicy")])
    with pytest.raises(Forbidden):
        call_with_retry(call, policy=FAST)
    assert len(calls) == 1


def test_writes_are_not_repeated_after_an_unavailable_answer() -> None:
    calls, call = _flaky([Unavailable(service="ack", action="MigrateCluster")])
    with pytest.raises(Unavailable):
        call_with_retry(call, policy=FAST, idempotent=False)
    assert len(calls) == 1


def test_backoff_grows_but_stays_under_the_cap() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=3.0)
    assert all(0 <= policy.delay_before(attempt) <= 3.0 for attempt in range(1, 10) for _ in range(20))
