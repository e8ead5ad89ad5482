"""Counting an approval: re-check what is being approved, count it atomically, start the job at the last.

The bot has already checked who clicked (group membership asked of Slack at that moment) and where
(the click's channel and message are the request's). What it cannot check without waiting on the
cloud is whether the cluster is still what the request message shows, so that happens here, in a
worker, at the moment of approval: an approval is for what was checked. The migrate job re-checks once
more before it calls MigrateCluster.

Exactly once: `RecordStore.approve` counts approvals with a compare-and-set, so of two approvals racing
for the last place one completes the request and queues the job; the other is told it changed nothing.
"""

from __future__ import annotations

import logging

from workers.checks.drift import changes_since
from workers.checks.runner import run_prechecks
from workers.context import Context
from workers.domain.records import IllegalTransition, Record, State
from workers.errors import CloudError
from workers.lifecycle import Lifecycle
from workers.notify import announce
from workers.slack import SlackError
from workers.store import AlreadyApproved, Reply
from workers.ui import private_answers, reasons, thread_replies

log = logging.getLogger(__name__)


def count_approval(ctx: Context, record_id: str, *, user: str, clicked_at: float) -> None:
    record = ctx.store.get(record_id)
    needs_recheck = record.workflow.recheck_at_approval and record.state is State.AWAITING_APPROVAL
    if needs_recheck and not _still_as_shown(ctx, record, user=user):
        return
    try:
        Lifecycle.of(ctx).approve(record_id, user=user, at=clicked_at, reply=lambda approved: Reply(thread_replies.approval_reply(approved)))
    except (AlreadyApproved, IllegalTransition):
        current = ctx.store.get(record_id)
        _refused(ctx, current, user=user, reason="already_decided", text=private_answers.approval_not_counted(current, user))


def _still_as_shown(ctx: Context, record: Record, *, user: str) -> bool:
    """Re-run the prechecks; when they differ from the message, refresh it and refuse the approval."""
    try:
        fresh = run_prechecks(ctx.clouds_for(record), ctx.settings, cluster=record.cluster_id,
                              bucket=record.bucket)
    except CloudError as error:
        _refused(ctx, record, user=user, reason="recheck_failed",
                 text=private_answers.recheck_failed(error))
        return False
    shown = record.precheck
    changes = changes_since(shown, fresh) if shown is not None else (thread_replies.NO_PRECHECKS_SHOWN,)
    if not changes:
        return True
    blocked = bool(fresh.blocking)
    reply = Reply(thread_replies.precheck_changed(changes, blocked=blocked))
    try:
        if blocked:
            Lifecycle.of(ctx).block(record.id, precheck=fresh, reply=reply,
                                    reason=reasons.BLOCKED_AT_APPROVAL,
                                    changes="; ".join(changes))
        else:
            ctx.store.renew_request(record.id, precheck=fresh, reply=reply)
    except IllegalTransition:
        if ctx.store.get(record.id).state is State.AWAITING_APPROVAL:
            raise
        # decided meanwhile (rejected, cancelled, expired): that decision stands and is shown
    _refused(ctx, ctx.store.get(record.id), user=user, reason="stale_precheck",
             text=private_answers.precheck_changed(record, changes))
    announce(ctx, record.id)
    return False


def _refused(ctx: Context, record: Record, *, user: str, reason: str, text: str) -> None:
    Lifecycle.of(ctx).refused(actor=user, action="approve", reason=reason, record=record)
    try:
        ctx.slack.post_ephemeral(record.channel, user, text)
    except SlackError as error:
        log.warning("could not tell %s their approval of %s was not counted: %s", user, record.id, error)
