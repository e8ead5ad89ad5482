"""Is the cluster still what the approver is looking at? The difference between two precheck reports.

An approval of a migration that cannot be rolled back is an approval of what the request message
shows. When the prechecks re-run at the moment of approval block where they passed, or the bucket, its
endpoint or the cluster's version or spec moved, the approval is of something else and must not count.
Warnings that come and go do not make an approval stale: they never blocked anything.
"""

from __future__ import annotations

from workers.checks.model import PrecheckReport


def changes_since(shown: PrecheckReport, fresh: PrecheckReport) -> tuple[str, ...]:
    """What differs that matters to an approver, each as one line a person reads; empty when nothing."""
    changes: list[str] = []
    was_blocking = {check.id for check in shown.blocking}
    for check in fresh.blocking:
        if check.id not in was_blocking:
            changes.append(f"{check.title} now {check.outcome}s: {check.summary}")
    for label, before, after in (
        ("bucket", shown.bucket, fresh.bucket),
        ("bucket endpoint", shown.bucket_endpoint, fresh.bucket_endpoint),
        ("Kubernetes version", shown.current_version, fresh.current_version),
        ("cluster spec", shown.cluster_spec, fresh.cluster_spec),
    ):
        if (before or "") != (after or ""):
            changes.append(f"the {label} was {before or 'not set'}, now {after or 'not set'}")
    return tuple(changes)
