"""After a migration: remove the old masters from Kubernetes, and release their ECS instances if asked.

This is the seed procedure's `kubectl delete node` step. Only nodes that are masters *and* not Ready are
touched: a Ready master means the cluster is not what we think it is, and deleting it would hurt. The
ECS instances keep billing until released; releasing is a separate, explicitly approved option
(ACK DeleteClusterNodes with release_node), shown as such in the approval message.
"""

from __future__ import annotations

import logging
import time
from contextlib import suppress
from dataclasses import replace
from typing import Any

from workers.cloud import CloudClients
from workers.cloud.models import KubeNode
from workers.context import Context
from workers.errors import CloudError, NotFound
from workers.lease import LeaseHeld
from workers.messages import failure_reply, success_reply
from workers.notify import announce
from workers.records import Kind, Record, State
from workers.store import Reply

log = logging.getLogger(__name__)

MASTER_LABELS = ("node-role.kubernetes.io/master", "node-role.kubernetes.io/control-plane")


def old_masters(clouds: CloudClients, cluster_id: str) -> list[dict[str, Any]]:
    """The masters Kubernetes still lists as not Ready, with the ECS instance and how it is billed."""
    billing = {node.node_name: node for node in clouds.ack.list_nodes(cluster_id) if node.is_master}
    rows = []
    for node in clouds.kube_for(cluster_id).list_nodes():
        if not _is_master(node) or node.ready == "True":
            continue
        ack_node = billing.get(node.name)
        rows.append({
            "node_name": node.name,
            "instance_id": ack_node.instance_id if ack_node else node.instance_id,
            "charge_type": ack_node.charge_type if ack_node else "",
            "ready": node.ready,
        })
    return rows


def run_cleanup(ctx: Context, record_id: str, *, owner: str) -> None:
    """An approved cleanup: delete the not-Ready masters, release their instances if approved so."""
    record = ctx.store.get(record_id)
    if record.kind is not Kind.CLEANUP:
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
    clouds = ctx.clouds(record.region)
    try:
        masters = old_masters(clouds, record.cluster_id)
        deleted = _delete_from_kubernetes(ctx, clouds, record, [m["node_name"] for m in masters])
        earlier = _deleted_by_an_earlier_run(clouds, record, masters)
        deleted += [m["node_name"] for m in earlier]
        masters += earlier  # their instances are still billed (or to be released) all the same
        released = _release_instances(ctx, clouds, record, masters) if record.release_ecs else []
    except CloudError as error:
        failed = replace(record, state=State.FAILED, reason=str(error))
        _end(ctx, record, State.FAILED, reason=str(error), text=failure_reply(failed).text)
        return
    released_ids = [m["instance_id"] for m in released]
    kept = [m for m in masters if m["instance_id"] not in released_ids]
    result = {**record.result, "nodes_deleted": deleted, "instances_released": released_ids, "still_billed": kept}
    done = replace(record, state=State.DONE, result=result)
    _end(ctx, record, State.DONE, result=result, text=success_reply(done).text)
    if record.parent_id:
        parent = ctx.store.get(record.parent_id)
        ctx.store.update(parent.id, result={**parent.result, "cleanup_id": record.id})
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
    return [dict(m) for m in record.result.get("masters") or []
            if m.get("node_name") and m["node_name"] not in seen and m["node_name"] not in listed]


def _release_instances(
    ctx: Context, clouds: CloudClients, record: Record, masters: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """ACK DeleteClusterNodes with release_node for the masters ACK still lists (a retry skips the rest)."""
    listed = {node.node_name for node in clouds.ack.list_nodes(record.cluster_id) if node.is_master}
    targets = [m for m in masters if m["node_name"] in listed]
    if not targets:
        return []
    started = clouds.ack.delete_cluster_nodes(
        record.cluster_id, nodes=[m["node_name"] for m in targets], release_node=True, drain_node=False
    )
    ctx.audit.append("cloud_call", record_id=record.id, cluster_id=record.cluster_id,
                     action="DeleteClusterNodes", request_id=started.request_id, task_id=started.task_id,
                     release_node=True, cluster_name=record.cluster_name)
    return targets


def _end(ctx: Context, record: Record, state: State, *, text: str, **changes: Any) -> None:
    ctx.store.transition(record.id, state, finished_at=time.time(), reply=Reply(text, broadcast=True), **changes)
    announce(ctx, record.id)


def _is_master(node: KubeNode) -> bool:
    return any(label in node.labels for label in MASTER_LABELS)
