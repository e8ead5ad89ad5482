"""The answer to a typed `/ackmigrate …` (or the modal's equivalent): parse, authorise, queue, audit.

Shared by the slash command's listener and the modal's submission (bot.listeners.views.migration_form),
so a command chosen in the modal is authorised, queued and audited exactly as the typed one.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.authz import Refusal, RefusalCode, may_request, may_use_channel
from bot.grammar import (
    Cancel,
    Cleanup,
    Command,
    Help,
    ListClusters,
    Migrate,
    Plan,
    Precheck,
    Status,
    UsageError,
    Verify,
    parse,
    render,
    subcommand_of,
)
from bot.metrics import COMMANDS, DECISIONS, REFUSALS
from bot.services import Services
from bot.status import status_message
from bot.usergroups import GroupLookupFailed
from workers.domain.records import Kind, new_record_id
from workers.fleet.scope import Scope, ScopeError, places
from workers.queues import Queues
from workers.ui import private_answers
from workers.ui.kit import Message

logger = logging.getLogger(__name__)

COMMAND = "/ackmigrate"


def answer(services: Services, command: dict[str, Any]) -> Message:
    user, channel = str(command.get("user_id", "")), str(command.get("channel_id", ""))
    try:
        parsed = parse(str(command.get("text") or ""))
    except UsageError as error:
        COMMANDS.labels("usage_error").inc()
        return _text(private_answers.usage_text(error.problem, error.subcommand))
    COMMANDS.labels(subcommand_of(parsed)).inc()
    if isinstance(parsed, Help):
        return _text(private_answers.help_text(parsed.topic))
    refusal = may_use_channel(services.policy, channel)
    if refusal is not None:
        return _refused(services, parsed, user, refusal)
    try:
        return _run(services, parsed, user=user, channel=channel, response_url=command.get("response_url"))
    except GroupLookupFailed as error:
        logger.warning("refusing %s for %s: %s", render(parsed), user, error)
        text = private_answers.lookup_failed(error.detail)
        return _refused(services, parsed, user, Refusal(RefusalCode.LOOKUP_FAILED, text))


def _run(services: Services, parsed: Command, *, user: str, channel: str, response_url: str | None) -> Message:
    if isinstance(parsed, Status):
        return status_message(services, cluster=parsed.cluster)
    if isinstance(parsed, Cancel):
        outcome = services.approvals.cancel(parsed.cluster, user=user)
        if outcome.refusal is not None:
            REFUSALS.labels(str(outcome.refusal.code)).inc()
            return _text(outcome.refusal.text)
        DECISIONS.labels("cancelled").inc()
        assert outcome.record is not None  # an applied cancel always has its record
        return _text(private_answers.cancelled(outcome.record))
    if isinstance(parsed, Plan):
        # An account or region not configured is refused here, privately, before anything is queued.
        try:
            places(services.settings.accounts, Scope(parsed.account, parsed.region))
        except ScopeError as error:
            return _text(private_answers.refused_scope(error))
    if isinstance(parsed, Migrate | Cleanup):
        refusal = may_request(services.policy, user=user, channel=channel,
                              requester_group_members=services.requester_group_members())
        if refusal is not None:
            return _refused(services, parsed, user, refusal)
    return _enqueue(services, parsed, user=user, channel=channel, response_url=response_url)


def _enqueue(services: Services, parsed: Command, *, user: str, channel: str, response_url: str | None) -> Message:
    """Queue the job and audit the command in one Redis round trip; a request gets its id here, so its
    story starts here."""
    record_id = new_record_id(Kind.MIGRATION) if isinstance(parsed, Migrate) else (
        new_record_id(Kind.CLEANUP) if isinstance(parsed, Cleanup) else None)
    with services.queues.batched() as (queues, pipeline):
        answer = _queue_job(parsed, queues, user=user, channel=channel, response_url=response_url,
                                 record_id=record_id)
        services.audit.append("command", actor=user, record_id=record_id,
                                   cluster_name=getattr(parsed, "cluster", None), channel=channel,
                                   command=render(parsed), pipeline=pipeline)
    return _text(answer)


def _queue_job(parsed: Command, queues: Queues, *, user: str, channel: str, response_url: str | None,
               record_id: str | None) -> str:
    """Enqueue the command's job; what the person is told it is doing."""
    if isinstance(parsed, Precheck):
        queues.precheck_for_user(cluster_ref=parsed.cluster, bucket=parsed.bucket, user=user, channel=channel,
                                 response_url=response_url)
        return private_answers.precheck_taken(parsed.cluster)
    if isinstance(parsed, Migrate):
        queues.open_migration_request(cluster_ref=parsed.cluster, bucket=parsed.bucket, requester=user,
                                      channel=channel, response_url=response_url, record_id=record_id)
        return private_answers.migrate_taken(parsed.cluster, parsed.bucket)
    if isinstance(parsed, Cleanup):
        queues.open_cleanup_request(cluster_ref=parsed.cluster, release_ecs=parsed.release_ecs, requester=user,
                                    channel=channel, response_url=response_url, record_id=record_id)
        return private_answers.cleanup_taken(parsed.cluster, parsed.release_ecs)
    if isinstance(parsed, Verify):
        queues.verify_for_user(cluster_ref=parsed.cluster, user=user, channel=channel, response_url=response_url)
        return private_answers.verify_taken(parsed.cluster)
    if isinstance(parsed, Plan):
        queues.plan_fleet(account=parsed.account, region=parsed.region, user=user, channel=channel)
        return private_answers.plan_taken(Scope(parsed.account, parsed.region).describe())
    if isinstance(parsed, ListClusters):
        queues.list_clusters_for_user(user=user, channel=channel, response_url=response_url)
        return private_answers.list_taken()
    raise AssertionError(f"no handler for {parsed!r}")  # _run answered every other command


def _refused(services: Services, parsed: Command, user: str, refusal: Refusal) -> Message:
    REFUSALS.labels(str(refusal.code)).inc()
    services.audit.append("refused", actor=user, outcome="refused", command=render(parsed),
                               cluster_name=getattr(parsed, "cluster", None), reason=str(refusal.code))
    return _text(refusal.text)


def _text(text: str) -> Message:
    return Message(text=text, blocks=[])
