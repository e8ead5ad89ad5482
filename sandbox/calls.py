"""What the sandbox was asked (the call log) and what it was told to get wrong (faults).

Tests assert on the call log the way an operator reads a cloud audit trail: which actions, in which
order, with which outcome. Faults make every cloud and Slack call fail or slow down on demand, so
error handling is tested against the same servers as the happy path.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

SERVICES = ("ack", "ecs", "slb", "ram", "oss", "kubernetes", "slack", "sts")


@dataclass
class Call:
    """One API call as received: enough to tell what happened without reading server logs."""

    seq: int
    service: str
    action: str
    method: str
    path: str
    status: int
    time: float
    duration_ms: float
    request_id: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    error_code: str = ""
    fault: bool = False
    account: str = ""  # the account of the credential that signed it ("" when it was not signed)
    region: str = ""  # the region it was addressed to (RegionId, x-acs-region-id, OSS V4 scope), if any

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class CallLog:
    """Append-only, thread-safe list of calls; bounded so a long rehearsal cannot eat the memory."""

    def __init__(self, limit: int = 200_000) -> None:
        self._calls: list[Call] = []
        self._lock = threading.Lock()
        self._limit = limit
        self._seq = 0

    def record(self, **fields: Any) -> Call:
        with self._lock:
            self._seq += 1
            call = Call(seq=self._seq, **fields)
            self._calls.append(call)
            if len(self._calls) > self._limit:
                del self._calls[: len(self._calls) - self._limit]
            return call

    def list(self, *, service: str | None = None, action: str | None = None) -> list[Call]:
        with self._lock:
            return [
                c
                for c in self._calls
                if (service is None or c.service == service) and (action is None or c.action == action)
            ]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()


@dataclass
class Fault:
    """The next `count` calls matching service (and action, if given) fail or are slowed.

    count < 0 means every matching call until the faults are cleared. With `delay_response` the call is
    answered (and logged) at once but the answer is held back `latency_ms`: the call took effect, the
    caller does not know yet — the window a crash between "ACK accepted it" and "we saved that" hits.
    """

    service: str
    action: str | None = None
    http_status: int | None = None
    code: str | None = None
    message: str | None = None
    count: int = 1
    latency_ms: int = 0
    delay_response: bool = False

    def matches(self, service: str, action: str) -> bool:
        return self.service == service and (self.action is None or self.action == action)

    @property
    def fails(self) -> bool:
        return self.http_status is not None


class FaultError(ValueError):
    """A fault specification that cannot be applied; the control API answers 400 with this text."""


class Faults:
    """Pending faults, consumed in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, spec: dict[str, Any]) -> Fault:
        service = spec.get("service")
        if service not in SERVICES:
            raise FaultError(f"service must be one of {', '.join(SERVICES)} (got {service!r})")
        status = spec.get("http_status")
        latency = spec.get("latency_ms") or 0
        if status is None and not latency:
            raise FaultError("a fault needs http_status (to fail) or latency_ms (to slow down), or both")
        if status is not None and not (isinstance(status, int) and 400 <= status <= 599):
            raise FaultError(f"http_status must be an HTTP error status 400-599 (got {status!r})")
        count = spec.get("count", 1)
        if not isinstance(count, int) or count == 0:
            raise FaultError(f"count must be a positive number of calls, or -1 for all (got {count!r})")
        if not isinstance(latency, int | float) or latency < 0:
            raise FaultError(f"latency_ms must be a non-negative number (got {latency!r})")
        delay_response = spec.get("delay_response", False)
        if not isinstance(delay_response, bool):
            raise FaultError(f"delay_response must be true or false (got {delay_response!r})")
        if delay_response and (status is not None or not latency):
            raise FaultError("delay_response holds back a successful answer: it needs latency_ms and no http_status")
        fault = Fault(
            service=service,
            action=spec.get("action") or None,
            http_status=status,
            code=spec.get("code"),
            message=spec.get("message"),
            count=count,
            latency_ms=int(latency),
            delay_response=delay_response,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, service: str, action: str) -> Fault | None:
        """The fault that applies to this call, if any; it counts as used."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(service, action):
                    if fault.count > 0:
                        fault.count -= 1
                        if fault.count == 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def list(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


def now() -> float:
    return time.time()
