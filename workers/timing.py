"""How often the workers look after approved requests: lease length and reconciler period.

Read from the environment next to `Settings` (same rule: a malformed value stops the worker at start
with one line naming the variable). Tests shorten both so a killed worker is replaced in seconds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from workers.config import number_setting


@dataclass(frozen=True)
class WorkerTiming:
    """`lease_ttl_s`: how long a silent owner keeps a record; `reconcile_interval_s`: sweep period.

    A SIGKILLed worker's record is picked up after at most lease_ttl_s + reconcile_interval_s
    (60 + 30 by default: within the two minutes operators are promised).
    """

    lease_ttl_s: float = 60.0
    reconcile_interval_s: float = 30.0

    @property
    def poll_grace_s(self) -> float:
        """Slack given to a scheduled poll before it counts as lost (scheduler lag, busy queues)."""
        return self.lease_ttl_s

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WorkerTiming:
        env = os.environ if environ is None else environ
        return cls(
            lease_ttl_s=number_setting(env, "ACKMIGRATE_LEASE_TTL", 60.0, minimum=1.0),
            reconcile_interval_s=number_setting(env, "ACKMIGRATE_RECONCILE_INTERVAL", 30.0, minimum=0.1),
        )

