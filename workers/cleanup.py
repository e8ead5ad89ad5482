"""After a migration: remove the old masters from Kubernetes, and release their ECS instances if asked.

This is the seed procedure's `kubectl delete node` step. Only nodes that are masters *and* not Ready are
touched: a Ready master means the cluster is not what we think it is, and deleting it would hurt. The
ECS instances keep billing until released; releasing is a separate, explicitly approved option
(`--release-ecs`), shown as such in the approval message.

Releasing goes through ECS, not ACK: after the migration the old masters are no longer members of the
cluster, and ACK's DeleteClusterNodes `release_node` cannot release subscription instances anyway. How
each instance is billed is read from ECS DescribeInstances, then:
- pay-as-you-go (PostPaid) instances: DeleteInstances with DryRun=true first (ECS checks permissions,
  parameters and state and releases nothing), then for real, with a client token derived from the
  request and the instance ids, so a retried cleanup cannot release twice or release something else;
- subscription (PrePaid) instances cannot be released through the API before their term ends (ECS
  answers ChargeTypeViolation): they are named with the console step that does it
  (https://www.alibabacloud.com/help/en/ecs/user-guide/release-an-instance, "Release an unexpired
  subscription instance": switch it to pay-as-you-go, then release it);
- an instance ECS no longer lists was released before (a cleanup cut off after releasing): it is named
  as such, never claimed as released by this run.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Any

from workers.cloud import CloudClients
from workers.cloud.models import KubeNode
from workers.context import Context
from workers.domain.records import Record, State
from workers.domain.results import OldMaster
from workers.domain.workflows import CLEANUP
from workers.errors import CloudError, NotFound
from workers.lease import LeaseHeld
from workers.notify import announce
from workers.store import Reply
from workers.ui.thread_replies import failure_reply, success_reply

log = logging.getLogger(__name__)

MASTER_LABELS = ("node-role.kubernetes.io/master", "node-role.kubernetes.io/control-plane")


PAY_AS_YOU_GO = "PostPaid"


def old_masters(clouds: CloudClients, cluster_id: str) -> list[dict[str, Any]]:
    """The masters Kubernetes still lists as not Ready, with the ECS instance (from the node's providerID)
    and how ECS bills it (DescribeInstances: ACK no longer lists the old masters as cluster nodes)."""
    nodes = [n for n in clouds.kube_for(cluster_id).list_nodes() if _is_master(n) and n.ready != "True"]
    ids = [n.instance_id for n in nodes if n.instance_id]
    billing = {i.instance_id: i.charge_type for i in clouds.ecs.describe_instances(ids)} if ids else {}
    return [
        {"node_name": n.name, "instance_id": n.instance_id, "charge_type": billing.get(n.instance_id, ""),
         "ready": n.ready}
        for n in nodes
    ]


def run_cleanup(ctx: Context, record_id: str, *, owner: str) -> None:
    """An approved cleanup: delete the not-Ready masters, release their instances if approved so."""
    record = ctx.store.get(record_id)
    if record.workflow is not CLEANUP:
        raise ValueError(f"request {record_id} is a {record.kind} request, not a cleanup")
    if record.state not in (State.APPROVED, State.RUNNING):
        log.info("cleanup %s is %s: nothing to do", record_id, record.state)
        return
    try:
        with ctx.leases.held(record_id, owner):
            _clean(ctx, ctx.store.get(record_id))
            ctx.leases.release(record_id, owner)
    except LeaseHeld as held:
        log.info("%s; this duplicate run leaves it alone", held)


def _clean(ctx: Context, record: Record) -> None:
    if record.terminal:
        return
    if record.state is State.APPROVED:
        record = ctx.store.transition(record.id, State.RUNNING, started_at=time.time())
        announce(ctx, record.id)
    clouds = ctx.clouds_for(record)
    try:
        masters = old_masters(clouds, record.cluster_id)
        deleted = _delete_from_kubernetes(ctx, clouds, record, [m["node_name"] for m in masters])
        earlier = _deleted_by_an_earlier_run(clouds, record, masters)
        deleted += [m["node_name"] for m in earlier]
        masters += earlier  # their instances are still billed (or to be released) all the same
        release = _release_instances(ctx, clouds, record, masters) if record.release_ecs else Release()
    except CloudError as error:
        failed = replace(record, state=State.FAILED, reason=str(error))
        _end(ctx, record, State.FAILED, reason=str(error), text=failure_reply(failed).text)
        return
    settled = {*release.released, *release.gone}
    kept = [m for m in masters if m["instance_id"] not in settled]
    result = replace(
        record.cleanup_result, nodes_deleted=tuple(deleted),
        instances_released=tuple(release.released), instances_gone=tuple(release.gone),
        needs_console=tuple(map(OldMaster.from_dict, release.needs_console)),
        still_billed=tuple(map(OldMaster.from_dict, kept)),
    )
    done = replace(record, state=State.DONE, result=result)
    _end(ctx, record, State.DONE, result=result, text=success_reply(done).text)
    if record.parent_id:
        parent = ctx.store.get(record.parent_id)
        ctx.store.update(parent.id, result=replace(parent.migration_result, cleanup_id=record.id))
        announce(ctx, parent.id)


def _delete_from_kubernetes(ctx: Context, clouds: CloudClients, record: Record, names: list[str]) -> list[str]:
    kube = clouds.kube_for(record.cluster_id)
    deleted = []
    for name in names:
        with suppress(NotFound):  # gone already (a retried cleanup): the goal is reached
            kube.delete_node(name)
        ctx.audit.append("cloud_call", record_id=record.id, cluster_id=record.cluster_id, action="DeleteNode",
                         request_id="", node=name, cluster_name=record.cluster_name)
        deleted.append(name)
    return deleted


def _deleted_by_an_earlier_run(
    clouds: CloudClients, record: Record, found: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Approved masters Kubernetes no longer lists at all: a run of this cleanup killed after deleting them
    never recorded it, and the result must still name them (and release or list their instances)."""
    seen = {m["node_name"] for m in found}
    listed = {node.name for node in clouds.kube_for(record.cluster_id).list_nodes()}
    return [m.to_dict() for m in record.cleanup_result.masters or ()
            if m.node_name and m.node_name not in seen and m.node_name not in listed]


@dataclass(frozen=True)
class Release:
    """What --release-ecs did: instance ids released now, ids ECS no longer lists, and the masters whose
    instances only the console can release (subscription, or a billing ECS did not name)."""

    released: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    needs_console: list[dict[str, Any]] = field(default_factory=list)


def _release_instances(
    ctx: Context, clouds: CloudClients, record: Record, masters: list[dict[str, Any]]
) -> Release:
    """Release the pay-as-you-go master instances through ECS DeleteInstances: a dry run, then for real."""
    ids = sorted({m["instance_id"] for m in masters if m.get("instance_id")})
    listed = {i.instance_id: i for i in clouds.ecs.describe_instances(ids)} if ids else {}
    gone = [i for i in ids if i not in listed]
    payg = [i for i in ids if i in listed and listed[i].charge_type == PAY_AS_YOU_GO]
    console = [{**m, "charge_type": listed[m["instance_id"]].charge_type} for m in masters
               if m.get("instance_id") in listed and listed[m["instance_id"]].charge_type != PAY_AS_YOU_GO]
    if payg:
        _audited_release(ctx, record, payg, dry_run=True, call=lambda: clouds.ecs.check_release(payg))
        token = "ackmigrate-" + hashlib.sha256(f"{record.id}:{','.join(payg)}".encode()).hexdigest()[:40]
        _audited_release(ctx, record, payg, dry_run=False, call=lambda: clouds.ecs.release(payg, client_token=token))
    return Release(released=payg, gone=gone, needs_console=console)


def _audited_release(
    ctx: Context, record: Record, ids: list[str], *, dry_run: bool, call: Callable[[], object]
) -> None:
    """One DeleteInstances call (the dry run or the real one) in the audit log, whatever ECS answered."""
    outcome, request_id, error_text = "ok", "", ""
    try:
        answer = call()
        request_id = answer if isinstance(answer, str) else ""
    except CloudError as error:
        outcome, request_id, error_text = "error", error.request_id, str(error)
        raise
    finally:
        ctx.audit.append("cloud_call", record_id=record.id, cluster_id=record.cluster_id, outcome=outcome,
                         action="DeleteInstances", request_id=request_id, dry_run=dry_run,
                         instances=",".join(ids), cluster_name=record.cluster_name, error=error_text)


def _end(ctx: Context, record: Record, state: State, *, text: str, **changes: Any) -> None:
    ctx.store.transition(record.id, state, finished_at=time.time(), reply=Reply(text, broadcast=True), **changes)
    announce(ctx, record.id)


def _is_master(node: KubeNode) -> bool:
    return any(label in node.labels for label in MASTER_LABELS)
