"""The words a fleet plan carries as data: its blockers' titles and fixes, and the note under the quotas.

They travel inside the plan's report (to the channel, the CSV and the terminal alike), so they are written
here without any Block Kit and imported by `workers.fleet` (the report itself is drawn by `plan_report`).
"""

from __future__ import annotations

QUOTA_NOTE = (
    "Whether a migrated cluster counts against the managed-cluster quota is not documented by Alibaba Cloud."
)


def unchecked_title(check_title: str) -> str:
    """A check that could not run blocks the cluster as much as a failure: it is never read as a pass."""
    return f"{check_title} could not be checked"


def unchecked_fix(summary: str) -> str:
    return f"Fix what stopped the check: {summary}"


CLUSTER_UNREAD = "The cluster could not be read"


def cluster_unread_fix(error: object) -> str:
    return f"Fix what stopped it: {error}"
