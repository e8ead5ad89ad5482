"""A cap on cloud calls in flight per account, service and region (ACKMIGRATE_CLOUD_CONCURRENCY).

Alibaba Cloud throttles per account and API; a plan over hundreds of clusters runs their prechecks side
by side and would otherwise send every call at once. Each lane (account, service, region) has its own
semaphore, held for one attempt only: a call that waits out a throttling backoff leaves its slot free.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext


class CallLimits:
    """Semaphores by lane, created on first use; shared by every client of one process."""

    def __init__(self, per_lane: int) -> None:
        if per_lane < 1:
            raise ValueError("per_lane must be at least 1")
        self.per_lane = per_lane
        self._lock = threading.Lock()
        self._lanes: dict[tuple[str, str, str], threading.BoundedSemaphore] = {}

    def slot(self, *, account: str, service: str, region: str) -> threading.BoundedSemaphore:
        lane = (account, service, region)
        with self._lock:
            semaphore = self._lanes.get(lane)
            if semaphore is None:
                semaphore = self._lanes[lane] = threading.BoundedSemaphore(self.per_lane)
            return semaphore


def no_limit() -> AbstractContextManager[object]:
    """For clients built outside a fleet (one precheck, one migration): their calls are few."""
    return nullcontext()
