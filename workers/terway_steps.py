"""The terway steps the hot-migration doc puts around the migration, automated, with their undo.

With terway's custom pod configuration (PodNetworking), the doc says: before migrating, scale
`terway-controlplane` to 0 and back up and delete its mutating and validating webhook configurations; if
the migration fails, restore both; if it succeeds, delete the old Deployment and reinstall
terway-controlplane from the Add-ons page (hot-migration doc, MIGRATION_DOC). ackmigrate does them when
`ACKMIGRATE_AUTOMATE_TERWAY=true` and the prechecks found terway-controlplane; the request message says so
before anyone approves.

Idempotent across a worker killed anywhere: each step's completion is a field of one Redis hash,
`ackmigrate:terway:{record_id}`, written right after the step and read before it, so a rerun skips what
is done and redoes at most the one step that was cut short — and every step is safe to redo (scaling to
0 again, deleting what is gone, creating what exists). The backup (the original replica count and the
two configurations as the API server returned them) is written once (HSETNX) before anything is deleted,
kept (never expiring) and posted in the thread. Every change is audited as a `cloud_call`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from workers.cloud.kube import KubeClient
from workers.context import Context
from workers.domain.records import Record
from workers.errors import CloudError, Conflict, NotFound
from workers.notify import announce
from workers.store import Reply
from workers.ui import thread_replies

log = logging.getLogger(__name__)

KEY = "ackmigrate:terway:"
NAMESPACE = "kube-system"
NAME = "terway-controlplane"
WEBHOOK_KINDS = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
_SLACK_TEXT_LIMIT = 39_000


@dataclass(frozen=True)
class Backup:
    replicas: int
    webhooks: dict[str, dict[str, Any]]  # kind → the configuration as read (absent kinds are left out)

    def to_json(self) -> str:
        return json.dumps({"replicas": self.replicas, "webhooks": self.webhooks}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> Backup:
        data = json.loads(text)
        return cls(replicas=int(data["replicas"]), webhooks=dict(data["webhooks"]))


def before_migration(ctx: Context, kube: KubeClient, record: Record) -> None:
    """Scale to 0, back up, delete the webhooks: each step once, in this order, resumable."""
    key = KEY + record.id
    done = _done(ctx, key)
    if "backup" not in done:
        replicas = kube.deployment_replicas(NAMESPACE, NAME)
        webhooks = {}
        for kind in WEBHOOK_KINDS:
            try:
                webhooks[kind] = _clean(kube.webhook_configuration(kind, NAME))
            except NotFound:
                continue
        backup = Backup(replicas=replicas, webhooks=webhooks)
        ctx.redis.hsetnx(key, "backup", backup.to_json())  # the first backup stands: later reads see 0 replicas
    if "backup_posted" not in done:
        _say(ctx, record, key, "backup_posted", _backup_text(record, _backup(ctx, key)))
    step = _Steps(ctx, record, key, done)
    step("scaled_down", "ScaleDeployment", lambda: kube.scale_deployment(NAMESPACE, NAME, 0), replicas="0")
    for kind in WEBHOOK_KINDS:
        step(f"deleted:{kind}", f"Delete{kind}", partial(kube.delete_webhook_configuration, kind, NAME),
             already=NotFound)
    if "announced_before" not in done:
        _say(ctx, record, key, "announced_before", thread_replies.TERWAY_PREPARED)


def undo(ctx: Context, kube: KubeClient, record: Record) -> str:
    """The migration failed: put the webhooks and the replica count back, each once. Returns what to tell
    people (the same words on a rerun that finds it all done, so the failure message always says it)."""
    key = KEY + record.id
    done = _done(ctx, key)
    if "backup" not in done:
        return ""
    backup = _backup(ctx, key)
    step = _Steps(ctx, record, key, done)
    try:
        for kind, body in backup.webhooks.items():
            step(f"restored:{kind}", f"Create{kind}",
                 partial(kube.create_webhook_configuration, kind, body), already=Conflict)
        step("restored:replicas", "ScaleDeployment", lambda: kube.scale_deployment(NAMESPACE, NAME, backup.replicas),
             replicas=str(backup.replicas))
    except CloudError as error:
        _audit(ctx, record, "RestoreTerway", outcome="error", error=str(error))
        return thread_replies.terway_not_restored(error, backup.replicas)
    return thread_replies.terway_restored(backup.replicas)


def after_success(ctx: Context, kube: KubeClient, record: Record) -> None:
    """The migration succeeded: delete the old Deployment, and say in the thread how to reinstall it."""
    key = KEY + record.id
    done = _done(ctx, key)
    if "backup" not in done:
        return
    _Steps(ctx, record, key, done)("removed", "DeleteDeployment", lambda: kube.delete_deployment(NAMESPACE, NAME),
                                   already=NotFound)
    if "announced_after" not in done:
        _say(ctx, record, key, "announced_after", thread_replies.TERWAY_REMOVED)


class _Steps:
    """Runs a step unless marked done, audits it, marks it. `already`: the error that means a run a kill cut
    short did it (deleting what is gone, creating what exists) — the step counts as done."""

    def __init__(self, ctx: Context, record: Record, key: str, done: set[str]) -> None:
        self.ctx, self.record, self.key, self.done = ctx, record, key, done

    def __call__(self, step: str, action: str, do: Callable[[], None], *,
                 already: type[CloudError] | None = None, **details: str) -> None:
        if step in self.done:
            return
        try:
            do()
            _audit(self.ctx, self.record, action, **details)
        except CloudError as error:
            if already is None or not isinstance(error, already):
                raise
        _mark(self.ctx, self.key, step)


def _done(ctx: Context, key: str) -> set[str]:
    return {str(field, "utf-8") if isinstance(field, bytes) else str(field) for field in ctx.redis.hkeys(key)}


def _mark(ctx: Context, key: str, step: str) -> None:
    ctx.redis.hset(key, step, "1")


def _backup(ctx: Context, key: str) -> Backup:
    raw = ctx.redis.hget(key, "backup")
    if raw is None:
        raise KeyError(f"{key} has no backup")
    return Backup.from_json(raw)


def _clean(config: dict[str, Any]) -> dict[str, Any]:
    """What a create accepts back: the server-set metadata dropped."""
    metadata = {k: v for k, v in (config.get("metadata") or {}).items()
                if k not in ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields")}
    return {**config, "metadata": metadata}


def _backup_text(record: Record, backup: Backup) -> str:
    return thread_replies.terway_backup(KEY + record.id, backup.to_json(), limit=_SLACK_TEXT_LIMIT)


def _say(ctx: Context, record: Record, key: str, step: str, text: str) -> None:
    """A thread reply as a step of its own: saved with the record, then marked, so a rerun does not repeat it
    (a kill in between the two writes is the one window where it could be said twice)."""
    ctx.store.update(record.id, reply=Reply(text))
    _mark(ctx, key, step)
    announce(ctx, record.id)


def _audit(ctx: Context, record: Record, action: str, *, outcome: str = "ok", **details: str) -> None:
    fields: dict[str, Any] = {"action": action, "cluster_name": record.cluster_name,
                              "resource": f"{NAMESPACE}/{NAME}", **details}
    ctx.audit.append("cloud_call", record_id=record.id, cluster_id=record.cluster_id, outcome=outcome, **fields)
