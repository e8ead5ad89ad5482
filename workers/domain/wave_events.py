"""What happened in a wave that the channel is told about: typed, pure, and serialisable for the outbox.

The engine (ticks, jobs, listeners) says what happened with one of these; `workers.wave_notify` turns
each into one line in the wave's thread, exactly once, and redraws the parent message. Two families:

- `ClusterEvent`: one cluster started, or ended (succeeded, failed, skipped with its blocker). A cluster
  starts once and ends once, so (cluster id, start | end) is the line's exactly-once key.
- `WaveEvent`: the wave as a whole was approved, rejected (with the reason typed), paused (with why),
  resumed, cancelled, or is done.
  These can repeat (a wave may pause twice), so each carries `version`: the wave's version as saved
  with that change (`Wave.version` returned by the store's write). That is unique per change, so a
  retried job that reports the same change again is recognised and not posted twice.

Why typed rather than a string and a dict: the renderer matches on the type, mypy checks every variant is
drawn, and the fields each variant needs (a blocker, a pause reason) cannot be forgotten.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from workers.domain.waves import Blocker, ClusterState, PauseCause, PauseReason, Wave

# -- one cluster --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterStarted:
    """The cluster's migration request was opened (its record id is on the WaveCluster)."""

    canary: bool = False


@dataclass(frozen=True)
class ClusterSucceeded:
    """The cluster is on ACK Pro."""


@dataclass(frozen=True)
class ClusterFailed:
    """The migration ended in failure; `error` in words, as the cluster's own thread says it."""

    error: str


@dataclass(frozen=True)
class ClusterSkipped:
    """The fresh precheck just before the start blocked it (or it was blocked when the wave was requested)."""

    blocker: Blocker


ClusterEvent = ClusterStarted | ClusterSucceeded | ClusterFailed | ClusterSkipped
ClusterEnd = ClusterSucceeded | ClusterFailed | ClusterSkipped


def cluster_event_of(wave: Wave, cluster_id: str) -> ClusterEvent:
    """The event a cluster's state in `wave` (as the store saved it) stands for: running → started (a canary
    or not), and each end with what it carries (the error, the blocker). For the engine, which has the saved
    wave in hand: `wave_notify.cluster_event(ctx, name, cluster_id, cluster_event_of(saved, cluster_id))`."""
    cluster = wave.cluster(cluster_id)
    if cluster is None:
        raise ValueError(f"wave {wave.name} has no cluster {cluster_id}")
    match cluster.state:
        case ClusterState.RUNNING:
            return ClusterStarted(canary=any(c.cluster_id == cluster_id for c in wave.canaries))
        case ClusterState.SUCCEEDED:
            return ClusterSucceeded()
        case ClusterState.FAILED:
            return ClusterFailed(error=cluster.error or "the migration failed")
        case ClusterState.SKIPPED if cluster.blocker is not None:
            return ClusterSkipped(cluster.blocker)
    raise ValueError(f"{cluster.name} in wave {wave.name} is {cluster.state}: nothing to tell yet")


def cluster_event_key(cluster_id: str, event: ClusterEvent) -> str:
    """The exactly-once key of a cluster's thread line: a cluster starts once and ends once."""
    return f"{cluster_id}:{'start' if isinstance(event, ClusterStarted) else 'end'}"


# -- the wave -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaveApproved:
    """The last approval needed came in: the wave will run without further clicks."""

    by: str
    version: int


@dataclass(frozen=True)
class WavePaused:
    """Paused by the failure budget or by an operator; `reason` says which (and what failed)."""

    reason: PauseReason
    version: int


@dataclass(frozen=True)
class WaveResumed:
    by: str
    version: int


@dataclass(frozen=True)
class WaveCancelled:
    """Starts stopped; clusters already running are followed to their end."""

    by: str
    version: int


@dataclass(frozen=True)
class WaveRejected:
    """An approver rejected the wave request; `reason` is what they typed in the reject dialog, if anything."""

    by: str
    reason: str | None
    version: int


@dataclass(frozen=True)
class WaveDone:
    """Every cluster has ended."""

    succeeded: int
    failed: int
    skipped: int
    version: int


WaveEvent = WaveApproved | WavePaused | WaveResumed | WaveCancelled | WaveRejected | WaveDone


def wave_event_key(event: WaveEvent) -> str:
    """The exactly-once key of a wave's thread line: the kind of change and the version it was saved as."""
    return f"wave:{_KIND_OF[type(event)]}:{event.version}"


# -- JSON (the outbox stores the event, the line is rendered when it is posted) -------------------------------

_KIND_OF: dict[type, str] = {
    ClusterStarted: "started", ClusterSucceeded: "succeeded", ClusterFailed: "failed", ClusterSkipped: "skipped",
    WaveApproved: "approved", WavePaused: "paused", WaveResumed: "resumed", WaveCancelled: "cancelled",
    WaveRejected: "rejected", WaveDone: "done",
}


def to_json(event: ClusterEvent | WaveEvent) -> str:
    data: dict[str, Any] = {"kind": _KIND_OF[type(event)]}
    match event:
        case ClusterStarted(canary=canary):
            data["canary"] = canary
        case ClusterFailed(error=error):
            data["error"] = error
        case ClusterSkipped(blocker=blocker):
            data["blocker"] = {"check_id": blocker.check_id, "summary": blocker.summary}
        case WaveApproved(by=by, version=version) | WaveResumed(by=by, version=version) | \
                WaveCancelled(by=by, version=version):
            data.update(by=by, version=version)
        case WaveRejected(by=by, reason=reason, version=version):
            data.update(by=by, reason=reason, version=version)
        case WavePaused(reason=reason, version=version):
            data.update(version=version, reason={"cause": reason.cause.value, "by": reason.by,
                                                 "failures": reason.failures, "budget": reason.budget,
                                                 "failed": list(reason.failed)})
        case WaveDone(succeeded=succeeded, failed=failed, skipped=skipped, version=version):
            data.update(succeeded=succeeded, failed=failed, skipped=skipped, version=version)
    return json.dumps(data, sort_keys=True)


def from_json(text: str | bytes) -> ClusterEvent | WaveEvent:
    data: dict[str, Any] = json.loads(text)
    kind = data["kind"]
    if kind == "started":
        return ClusterStarted(canary=bool(data.get("canary", False)))
    if kind == "succeeded":
        return ClusterSucceeded()
    if kind == "failed":
        return ClusterFailed(error=str(data["error"]))
    if kind == "skipped":
        return ClusterSkipped(Blocker(check_id=str(data["blocker"]["check_id"]),
                                      summary=str(data["blocker"]["summary"])))
    version = int(data["version"])
    if kind == "approved":
        return WaveApproved(by=str(data["by"]), version=version)
    if kind == "resumed":
        return WaveResumed(by=str(data["by"]), version=version)
    if kind == "cancelled":
        return WaveCancelled(by=str(data["by"]), version=version)
    if kind == "rejected":
        reason = data.get("reason")
        return WaveRejected(by=str(data["by"]), reason=None if reason is None else str(reason), version=version)
    if kind == "paused":
        reason = data["reason"]
        return WavePaused(PauseReason(cause=PauseCause(reason["cause"]), by=reason.get("by"),
                                      failures=int(reason["failures"]), budget=int(reason["budget"]),
                                      failed=tuple(reason.get("failed") or ())), version=version)
    if kind == "done":
        return WaveDone(succeeded=int(data["succeeded"]), failed=int(data["failed"]),
                        skipped=int(data["skipped"]), version=version)
    raise ValueError(f"unknown wave event kind {kind!r}")
