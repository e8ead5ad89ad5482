"""Opening requests and answering people: the interactive jobs behind the slash commands.

The record is written before Slack is told anything, so the request exists (and holds its cluster's
lock) even if Slack is down; whatever cannot be said in the channel is said privately through the
command's response_url.
"""

from __future__ import annotations

import logging
import time

from workers import cleanup
from workers.checks.runner import run_prechecks
from workers.context import Context
from workers.domain.records import Record, State
from workers.domain.results import CleanupResult, OldMaster
from workers.domain.workflows import CLEANUP, MIGRATION
from workers.errors import CloudError
from workers.fleet.locate import Located, Near, NotLocated, locate
from workers.lifecycle import Lifecycle
from workers.listing import list_clusters
from workers.notify import announce, delivery_turn, post_parent
from workers.slack import SlackError, SlackRefused, SlackUnavailable
from workers.store import ClusterBusy
from workers.ui import private_answers, reasons
from workers.ui.kit import Message

log = logging.getLogger(__name__)

def open_migration_request(
    ctx: Context, *, cluster_ref: str, bucket: str, requester: str, channel: str, response_url: str | None,
    record_id: str | None = None,
) -> None:
    """Resolve, lock, precheck, and post the request message (with Approve only if nothing blocks)."""
    if _already_opened(ctx, record_id):
        return
    located = _resolve(ctx, cluster_ref, channel=channel, user=requester, response_url=response_url)
    if located is None:
        return
    detail = located.detail
    record = Record(
        id=record_id or MIGRATION.new_record_id(), kind=MIGRATION.kind, cluster_id=detail.cluster_id,
        cluster_name=detail.name, region=detail.region_id, account=located.account, requester=requester,
        channel=channel,
        bucket=bucket, cluster_version=detail.current_version, response_url=response_url,
        approvals_required=MIGRATION.approvals_required(ctx.settings),
    )
    if not _create(ctx, record, channel=channel, user=requester, response_url=response_url):
        return
    ctx.store.transition(record.id, State.PRECHECKING)
    try:
        report = run_prechecks(located.clouds, ctx.settings, cluster=detail.cluster_id, bucket=bucket)
    except CloudError as error:
        ctx.store.transition(record.id, State.FAILED, reason=reasons.prechecks_could_not_run(error))
        tell_privately(ctx, channel, requester, response_url, private_answers.prechecks_could_not_run(detail.name, error))
        return
    if report.blocking:
        Lifecycle.of(ctx).block(record.id, precheck=report, reason=reasons.BLOCKED,
                                checks=",".join(c.id for c in report.blocking))
    else:
        ctx.store.transition(record.id, State.AWAITING_APPROVAL, precheck=report,
                             expires_at=time.time() + ctx.settings.approval_ttl_s)
    _post_request(ctx, record.id, user=requester, response_url=response_url)


def open_cleanup_request(
    ctx: Context,
    *,
    cluster_ref: str,
    release_ecs: bool,
    requester: str,
    channel: str,
    response_url: str | None,
    parent_id: str | None,
    record_id: str | None = None,
) -> None:
    """List the masters left behind and what they cost, and post a cleanup request for approval."""
    if _already_opened(ctx, record_id):
        return
    parent = ctx.store.find(parent_id) if parent_id else None
    near = Near(parent.account, parent.region) if parent is not None and parent.region else None
    located = _resolve(ctx, cluster_ref, channel=channel, user=requester, response_url=response_url, near=near)
    if located is None:
        return
    detail = located.detail
    if detail.cluster_type != "ManagedKubernetes":
        tell_privately(ctx, channel, requester, response_url, private_answers.not_pro_yet(detail.name))
        return
    parent = parent or _last_migration(ctx, detail.cluster_id)
    try:
        masters = cleanup.old_masters(located.clouds, detail.cluster_id)
    except CloudError as error:
        tell_privately(ctx, channel, requester, response_url, private_answers.masters_not_listed(detail.name, error))
        return
    if not masters:
        tell_privately(ctx, channel, requester, response_url, private_answers.no_masters_left(detail.name))
        return
    record = Record(
        id=record_id or CLEANUP.new_record_id(), kind=CLEANUP.kind, cluster_id=detail.cluster_id,
        cluster_name=detail.name, region=detail.region_id, account=located.account, requester=requester,
        channel=channel, release_ecs=release_ecs, parent_id=parent.id if parent else None, cluster_version=detail.current_version,
        response_url=response_url,
        result=CleanupResult(masters=tuple(map(OldMaster.from_dict, masters))),
        approvals_required=CLEANUP.approvals_required(ctx.settings),
    )
    if not _create(ctx, record, channel=channel, user=requester, response_url=response_url):
        return
    ctx.store.transition(record.id, State.AWAITING_APPROVAL, expires_at=time.time() + ctx.settings.approval_ttl_s)
    _post_request(ctx, record.id, user=requester, response_url=response_url)


def precheck_for_user(
    ctx: Context, *, cluster_ref: str, bucket: str | None, user: str, channel: str, response_url: str | None
) -> None:
    """The checklist, privately: nothing is created, locked or posted to the channel."""
    located = _resolve(ctx, cluster_ref, channel=channel, user=user, response_url=response_url)
    if located is None:
        return
    detail = located.detail
    try:
        report = run_prechecks(located.clouds, ctx.settings, cluster=detail.cluster_id, bucket=bucket)
    except CloudError as error:
        tell_privately(ctx, channel, user, response_url, private_answers.prechecks_could_not_run(detail.name, error))
        return
    tell_privately(ctx, channel, user, response_url, private_answers.precheck_message(report, detail.name))


def list_clusters_for_user(ctx: Context, *, user: str, channel: str, response_url: str | None) -> None:
    """The region's dedicated clusters, each `ready` or the check that blocks it (workers.listing)."""
    try:
        listing = list_clusters(ctx.clouds(), ctx.settings, active=ctx.store.active_for_cluster)
    except CloudError as error:
        tell_privately(ctx, channel, user, response_url, private_answers.clusters_not_listed(error))
        return
    tell_privately(ctx, channel, user, response_url, private_answers.cluster_list(listing.rows(), others=listing.others))


# --- pieces ------------------------------------------------------------------------------------------------


def _resolve(
    ctx: Context, cluster_ref: str, *, channel: str, user: str, response_url: str | None, near: Near | None = None
) -> Located | None:
    """The cluster and its place's clients (any configured account and region: workers.fleet.locate), or
    None after telling the user what exists instead, or which clusters share the name."""
    try:
        return locate(ctx, cluster_ref, near=near)
    except NotLocated as refused:
        tell_privately(ctx, channel, user, response_url, str(refused))
    return None


def _already_opened(ctx: Context, record_id: str | None) -> bool:
    """A retried job whose first run got as far as saving the request: that run's request stands."""
    existing = ctx.store.find(record_id) if record_id else None
    if existing is not None:
        log.warning("request %s was already opened (%s); not opening it again", existing.id, existing.state)
    return existing is not None


def _create(ctx: Context, record: Record, *, channel: str, user: str, response_url: str | None) -> bool:
    try:
        Lifecycle.of(ctx).create(record, actor=user)
    except ClusterBusy as busy:
        existing = busy.existing
        tell_privately(ctx, channel, user, response_url, private_answers.already_in_flight(existing, _permalink(ctx, existing)))
        return False
    return True


def _post_request(ctx: Context, record_id: str, *, user: str, response_url: str | None) -> None:
    """Post the request message; if the bot is not in the channel, withdraw the request and say why.

    The message is marked dirty first: if this job dies mid-post, the reconciler's sweep delivers it
    (and finds the post if Slack had taken it), so a request never sits unseen or shows twice.
    """
    ctx.store.mark_message_dirty(record_id)
    record = ctx.store.get(record_id)
    try:
        with delivery_turn(ctx, record_id) as mine:
            if mine:
                post_parent(ctx, ctx.store.get(record_id))
    except SlackRefused as error:
        Lifecycle.of(ctx).withdraw_unposted(record_id, code=error.code)
        ctx.store.mark_message_clean(record_id, ctx.store.get(record_id).version)  # there is no message to heal
        hint = private_answers.INVITE_HINT if error.code in ("not_in_channel", "channel_not_found") else str(error)
        tell_privately(ctx, record.channel, user, response_url, hint)
        return
    except SlackUnavailable:
        announce(ctx, record_id)  # notify posts the parent when Slack is back (it has no message_ts yet)
        return
    announce(ctx, record_id)


def _permalink(ctx: Context, record: Record) -> str | None:
    if not record.message_ts:
        return None
    try:
        return ctx.slack.permalink(record.channel, record.message_ts)
    except SlackError as error:
        log.warning("no permalink for %s: %s", record.id, error)
        return None


def _last_migration(ctx: Context, cluster_id: str) -> Record | None:
    return ctx.store.last_succeeded(cluster_id, MIGRATION)


def tell_privately(ctx: Context, channel: str, user: str, response_url: str | None, what: str | Message) -> None:
    """Privately: through the response_url when there is one, else as an ephemeral message."""
    message = what if isinstance(what, Message) else Message(text=what, blocks=[])
    try:
        if response_url:
            ctx.slack.respond(response_url, message.text, message.blocks or None)
        else:
            ctx.slack.post_ephemeral(channel, user, message.text, message.blocks or None)
    except SlackError as error:
        # A private answer is lost if Slack is down; the record (if any) is already saved and shown later.
        log.warning("could not answer %s privately: %s", user, error)
        ctx.audit.append("slack_error", actor=user, outcome="lost", method=error.method, error=error.code)
