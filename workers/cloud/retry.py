"""Bounded retries with exponential backoff and full jitter for calls the cloud refused for now.

Only throttling and unavailability are retried: the server said "not now", so the same request may
succeed later. Any other refusal is an answer, and asking again would only hide it for longer.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from workers.errors import CloudError, Throttled, Unavailable

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try; tests shrink base_delay_s so a retried call costs milliseconds."""

    attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0

    def delay_before(self, attempt: int) -> float:
        """Full jitter (AWS architecture blog): spreads a herd of throttled callers across the window."""
        ceiling = min(self.max_delay_s, self.base_delay_s * (2 ** (attempt - 1)))
        return random.uniform(0, ceiling)


def call_with_retry(call: Callable[[], T], *, policy: RetryPolicy, idempotent: bool = True) -> T:
    """Run `call`, retrying Throttled always and Unavailable only when repeating the call is harmless.

    A write that timed out may have happened (MigrateCluster, CreatePolicyVersion), so a write is retried
    only when the server said it did nothing: throttling.
    """
    attempt = 1
    while True:
        try:
            return call()
        except CloudError as error:
            if attempt >= policy.attempts or not _retryable(error, idempotent=idempotent):
                raise
        time.sleep(policy.delay_before(attempt))
        attempt += 1


def _retryable(error: CloudError, *, idempotent: bool) -> bool:
    if isinstance(error, Throttled):
        return True
    return idempotent and isinstance(error, Unavailable)
