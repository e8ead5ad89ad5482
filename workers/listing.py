"""`/ackmigrate list` and `ackmigrate list` (cli.listing prints it): the region's dedicated clusters, each `ready` or held back.

"ready" is a promise that the checks this listing can afford have passed: it runs the real prechecks on
every dedicated cluster (through `run_prechecks`, the checks' public interface) without a bucket, since
a listing has none. So a shared-performance SLB, masters without Cloud Assistant, workloads on the
masters, an old Kubernetes or a cluster that is not running all show as `blocked: <check id>`, naming
the check to look at. What needs a bucket (the bucket itself and the master role's grant on it) is left
to `precheck CLUSTER --bucket B`, and the listing says so.

Cost: about ten cloud calls per dedicated cluster, LISTING_PARALLEL clusters at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from workers.checks.model import Outcome
from workers.checks.runner import run_prechecks
from workers.cloud import CloudClients
from workers.cloud.models import ClusterSummary
from workers.config import Settings
from workers.domain.records import Record
from workers.errors import CloudError

log = logging.getLogger(__name__)

LISTING_PARALLEL = 4
"""Clusters checked at once; each precheck run already fans out its own calls."""


READY = "ready"
BLOCKED = "blocked"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class ClusterReadiness:
    """One listed cluster and why it is or is not ready."""

    name: str
    cluster_id: str
    version: str
    state: str
    readiness: str  # READY, BLOCKED, UNKNOWN, or the state of the request in flight
    blocking: tuple[str, ...] = ()  # ids of the checks that failed or could not run, in check order
    could_not_run: tuple[str, ...] = ()  # those of `blocking` that could not run (an error, not a finding)
    reason: str = ""  # why readiness is UNKNOWN: the cloud error's code

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "blocking": list(self.blocking), "could_not_run": list(self.could_not_run)}


@dataclass(frozen=True)
class Listing:
    region: str
    clusters: tuple[ClusterReadiness, ...]
    others: int  # clusters of the region left out: not dedicated

    def rows(self) -> list[dict[str, Any]]:
        """The rows workers.ui.private_answers.cluster_list renders (and words: workers.ui.words.readiness)."""
        return [c.to_dict() for c in self.clusters]


def list_clusters(
    clouds: CloudClients, settings: Settings, *, active: Callable[[str], Record | None]
) -> Listing:
    """Every dedicated cluster of the region with its readiness. `active(cluster_id)`: the request in
    flight for it, if any (a cluster with one is not prechecked again: its request says where it is)."""
    clusters = clouds.ack.list_clusters()
    dedicated = [c for c in clusters if c.cluster_type == "Kubernetes"]
    with ThreadPoolExecutor(max_workers=LISTING_PARALLEL, thread_name_prefix="listing") as pool:
        rows = list(pool.map(lambda c: _readiness(clouds, settings, c, active(c.cluster_id)), dedicated))
    return Listing(region=clouds.region, clusters=tuple(rows), others=len(clusters) - len(dedicated))


def _readiness(
    clouds: CloudClients, settings: Settings, summary: ClusterSummary, active: Record | None
) -> ClusterReadiness:
    def row(readiness: str, blocking: tuple[str, ...] = (), could_not_run: tuple[str, ...] = (),
            reason: str = "") -> ClusterReadiness:
        return ClusterReadiness(name=summary.name, cluster_id=summary.cluster_id, version=summary.current_version,
                                state=summary.state, readiness=readiness, blocking=blocking,
                                could_not_run=could_not_run, reason=reason)

    if active is not None:
        return row(str(active.state).replace("_", "-"))
    try:
        report = run_prechecks(clouds, settings, cluster=summary.cluster_id, bucket=None)
    except CloudError as error:
        return row(UNKNOWN, reason=error.code or type(error).__name__)
    blocking = tuple(c.id for c in report.blocking)
    could_not_run = tuple(c.id for c in report.blocking if c.outcome is Outcome.ERROR)
    return row(BLOCKED if blocking else READY, blocking, could_not_run)
