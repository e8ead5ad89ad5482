"""What a request found and did, typed: the migration's and the cleanup's results, and the verification.

A record holds its result as one of these (`Record.result`, typed by its workflow's `result_type`; read it
through `record.migration_result` / `record.cleanup_result`) and its precheck as a `PrecheckReport`; the
record serialises them to JSON for Redis. `from_dict` tolerates every key being absent and keeps the keys it does
not know in `extra` (written back unchanged by `to_dict`), so records written by an older or a newer
release stay readable across an upgrade, and a round trip loses nothing. `to_dict` writes the same keys,
with the same JSON shapes, as the untyped dicts did.

The precheck report is `workers.checks.model.PrecheckReport` (its own tolerant `from_dict`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from workers.checks.model import CheckResult


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(item) for item in value or [])


_FAILURE_KEYS = ("cluster_state", "next_step", "request_id")


def _unknown(data: Mapping[str, Any], known: type) -> dict[str, Any]:
    """The keys of `data` that no field of `known` (nor its failure) reads: kept to be written back as they were."""
    names = {f.name for f in fields(known)} | set(_FAILURE_KEYS)
    return {key: value for key, value in data.items() if key not in names}


@dataclass(frozen=True)
class OldMaster:
    """An old master node and its ECS instance, which stays billed after the migration until released."""

    instance_id: str
    node_name: str = ""
    charge_type: str = ""  # ECS InstanceChargeType: PostPaid (pay-as-you-go), PrePaid (subscription), or unknown
    ready: str = ""  # the node's Ready condition when it was looked at ("gone": Kubernetes no longer lists it)

    @property
    def name(self) -> str:
        """The node's name, or its instance id when the node was not named."""
        return self.node_name or self.instance_id

    def to_dict(self) -> dict[str, Any]:
        data = {"instance_id": self.instance_id, "node_name": self.node_name, "charge_type": self.charge_type}
        if self.ready:
            data["ready"] = self.ready
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OldMaster:
        return cls(instance_id=str(data.get("instance_id") or ""), node_name=str(data.get("node_name") or ""),
                   charge_type=str(data.get("charge_type") or ""), ready=str(data.get("ready") or ""))


@dataclass(frozen=True)
class Baseline:
    """What the cluster looked like just before MigrateCluster, kept in the record for the comparison."""

    api_endpoint: str
    available_deployments: tuple[str, ...]  # kube-system Deployments that were available
    taken_at: float

    def to_dict(self) -> dict[str, Any]:
        return {"api_endpoint": self.api_endpoint, "available_deployments": list(self.available_deployments),
                "taken_at": self.taken_at}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Baseline:
        return cls(api_endpoint=str(data.get("api_endpoint", "")),
                   available_deployments=_strings(data.get("available_deployments")),
                   taken_at=float(data.get("taken_at") or 0.0))


@dataclass(frozen=True)
class VerificationReport:
    """The checks (any failure or error fails the verification) and the follow-ups (done: pass, to do: warn)."""

    cluster_id: str
    cluster_name: str
    checked_at: float
    checks: tuple[CheckResult, ...]
    follow_ups: tuple[CheckResult, ...] = ()

    @property
    def failures(self) -> list[CheckResult]:
        return [check for check in self.checks if check.blocks]

    @property
    def verified(self) -> bool:
        return not self.failures

    def failure_summary(self) -> str:
        return "; ".join(f"{check.title}: {check.summary}" for check in self.failures)

    def to_dict(self) -> dict[str, Any]:
        return {"cluster_id": self.cluster_id, "cluster_name": self.cluster_name, "checked_at": self.checked_at,
                "verified": self.verified, "checks": [c.to_dict() for c in self.checks],
                "follow_ups": [c.to_dict() for c in self.follow_ups]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VerificationReport:
        return cls(cluster_id=str(data.get("cluster_id", "")), cluster_name=str(data.get("cluster_name", "")),
                   checked_at=float(data.get("checked_at") or 0.0),
                   checks=tuple(CheckResult.from_dict(c) for c in data.get("checks") or []),
                   follow_ups=tuple(CheckResult.from_dict(c) for c in data.get("follow_ups") or []))


@dataclass(frozen=True)
class StageSeen:
    """One stage of ACK's migration task, as the runbook first saw it begin."""

    stage: int
    name: str
    seen_at: float
    started_at: float | None = None  # ACK's own start time of the stage, when it gave one

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"stage": self.stage, "name": self.name, "seen_at": self.seen_at}
        if self.started_at is not None:
            data["started_at"] = self.started_at
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StageSeen:
        started = data.get("started_at")
        return cls(stage=int(data.get("stage") or 0), name=str(data.get("name") or ""),
                   seen_at=float(data.get("seen_at") or 0.0), started_at=None if started is None else float(started))


@dataclass(frozen=True)
class Failure:
    """Why a request ended `failed`, beyond its reason: the cluster's state then and the one next step."""

    cluster_state: str | None = None  # ACK's cluster state when the task failed
    next_step: str | None = None  # overrides the generic "what to do" when the runbook knows better
    request_id: str | None = None  # the cloud API's request id to quote to support

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in (("cluster_state", self.cluster_state), ("next_step", self.next_step),
                                              ("request_id", self.request_id)) if value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Failure:
        return cls(cluster_state=_text(data.get("cluster_state")), next_step=_text(data.get("next_step")),
                   request_id=_text(data.get("request_id")))


@dataclass(frozen=True)
class BlockedAtStart:
    """A wave cluster's fresh precheck failed just before the fence: the check and what it found (the wave
    shows the cluster skipped with this blocker)."""

    check_id: str
    summary: str

    def to_dict(self) -> dict[str, Any]:
        return {"check_id": self.check_id, "summary": self.summary}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BlockedAtStart:
        return cls(check_id=str(data.get("check_id") or ""), summary=str(data.get("summary") or ""))


@dataclass(frozen=True)
class MigrationResult:
    """A migration record's `result`: filled in as it goes (baseline, stages, verification), then on success
    (spec, duration, the old masters still billed) or failure; `cleanup_id` once a cleanup has followed."""

    baseline: Baseline | None = None
    timeline: tuple[StageSeen, ...] = ()
    verification: VerificationReport | None = None
    cluster_spec: str = ""
    duration_s: int | None = None
    masters: tuple[OldMaster, ...] = ()
    cgpu: str = ""
    addons: tuple[str, ...] = ()
    cleanup_id: str | None = None
    blocker: BlockedAtStart | None = None  # a wave cluster skipped: the precheck that failed before the fence
    held_by_freeze: float | None = None  # when the freeze that held it before the fence began (thread told)
    failure: Failure = field(default_factory=Failure)
    extra: dict[str, Any] = field(default_factory=dict)  # keys this release does not know, kept as they were

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.extra)
        if self.baseline is not None:
            data["baseline"] = self.baseline.to_dict()
        if self.timeline:
            data["timeline"] = [moment.to_dict() for moment in self.timeline]
        if self.verification is not None:
            data["verification"] = self.verification.to_dict()
        if self.cluster_spec:
            data["cluster_spec"] = self.cluster_spec
        if self.duration_s is not None:
            data["duration_s"] = self.duration_s
        if self.masters:
            data["masters"] = [master.to_dict() for master in self.masters]
        if self.cgpu:
            data["cgpu"] = self.cgpu
        if self.addons:
            data["addons"] = list(self.addons)
        if self.cleanup_id:
            data["cleanup_id"] = self.cleanup_id
        if self.blocker is not None:
            data["blocker"] = self.blocker.to_dict()
        if self.held_by_freeze is not None:
            data["held_by_freeze"] = self.held_by_freeze
        data.update(self.failure.to_dict())
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> MigrationResult:
        data = data or {}
        duration = data.get("duration_s")
        return cls(
            baseline=Baseline.from_dict(data["baseline"]) if data.get("baseline") else None,
            timeline=tuple(StageSeen.from_dict(m) for m in data.get("timeline") or []),
            verification=VerificationReport.from_dict(data["verification"]) if data.get("verification") else None,
            cluster_spec=str(data.get("cluster_spec") or ""),
            duration_s=None if duration is None else int(duration),
            masters=tuple(OldMaster.from_dict(m) for m in data.get("masters") or []),
            cgpu=str(data.get("cgpu") or ""),
            addons=_strings(data.get("addons")),
            cleanup_id=_text(data.get("cleanup_id")),
            blocker=BlockedAtStart.from_dict(data["blocker"]) if isinstance(data.get("blocker"), Mapping) else None,
            held_by_freeze=None if data.get("held_by_freeze") is None else float(data["held_by_freeze"]),
            failure=Failure.from_dict(data),
            extra=_unknown(data, cls),
        )


@dataclass(frozen=True)
class CleanupResult:
    """A cleanup record's `result`: the masters it was approved to remove, then what it did to each."""

    masters: tuple[OldMaster, ...] | None = None  # None: an older record named them only in its precheck
    nodes_deleted: tuple[str, ...] = ()
    instances_released: tuple[str, ...] = ()  # released now through ECS DeleteInstances
    instances_gone: tuple[str, ...] = ()  # ECS no longer listed them: released before this cleanup
    needs_console: tuple[OldMaster, ...] = ()  # only the ECS console can release them (subscription)
    still_billed: tuple[OldMaster, ...] = ()  # kept: not released (no --release-ecs, or the console's)
    failure: Failure = field(default_factory=Failure)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.extra)
        if self.masters is not None:
            data["masters"] = [master.to_dict() for master in self.masters]
        for name in ("nodes_deleted", "instances_released", "instances_gone"):
            if getattr(self, name):
                data[name] = list(getattr(self, name))
        for name in ("needs_console", "still_billed"):
            if getattr(self, name):
                data[name] = [master.to_dict() for master in getattr(self, name)]
        data.update(self.failure.to_dict())
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> CleanupResult:
        data = data or {}
        return cls(
            masters=None if "masters" not in data else tuple(OldMaster.from_dict(m) for m in data["masters"] or []),
            nodes_deleted=_strings(data.get("nodes_deleted")),
            instances_released=_strings(data.get("instances_released")),
            instances_gone=_strings(data.get("instances_gone")),
            needs_console=tuple(OldMaster.from_dict(m) for m in data.get("needs_console") or []),
            still_billed=tuple(OldMaster.from_dict(m) for m in data.get("still_billed") or []),
            failure=Failure.from_dict(data),
            extra=_unknown(data, cls),
        )


RequestResult = MigrationResult | CleanupResult
"""What a record of any workflow holds as its result (its workflow says which: `Workflow.result_type`)."""
