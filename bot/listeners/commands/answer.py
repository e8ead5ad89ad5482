"""The answer to a typed `/ackmigrate …` (or the modal's equivalent): parse, authorise, queue, audit.

Shared by the slash command's listener and the modal's submission (bot.listeners.views.migration_form),
so a command chosen in the modal is authorised, queued and audited exactly as the typed one.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.authz import Refusal, RefusalCode, may_use_channel
from bot.grammar import (
    Cancel,
    Cleanup,
    Command,
    Freeze,
    Help,
    ListClusters,
    Migrate,
    Plan,
    Precheck,
    Status,
    Unfreeze,
    UsageError,
    Verify,
    WaveCancel,
    WaveCreate,
    WavePause,
    WaveResume,
    WaveStatus,
    parse,
    render,
    subcommand_of,
)
from bot.listeners.commands.freeze import answer_freeze
from bot.listeners.commands.wave import answer_wave
from bot.metrics import COMMANDS, DECISIONS
from bot.services import Services
from bot.status import status_message
from bot.usergroups import GroupLookupFailed
from workers.domain.workflows import CLEANUP, MIGRATION, Workflow
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
    if isinstance(parsed, WaveCreate | WaveStatus | WavePause | WaveResume | WaveCancel):
        return answer_wave(services, parsed, user=user, channel=channel, response_url=response_url)
    if isinstance(parsed, Freeze | Unfreeze):
        return _text(answer_freeze(services, parsed, user=user, channel=channel))
    if isinstance(parsed, Cancel):
        outcome = services.approvals.cancel(parsed.cluster, user=user)
        if outcome.refusal is not None:  # already counted and audited
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
    if isinstance(parsed, Migrate):
        return _request(services, MIGRATION, parsed, user=user, channel=channel, response_url=response_url,
                        bucket=parsed.bucket, taken=private_answers.migrate_taken(parsed.cluster, parsed.bucket))
    if isinstance(parsed, Cleanup):
        return _request(services, CLEANUP, parsed, user=user, channel=channel, response_url=response_url,
                        release_ecs=parsed.release_ecs, taken=private_answers.cleanup_taken(parsed.cluster, parsed.release_ecs))
    return _enqueue(services, parsed, user=user, channel=channel, response_url=response_url)


def _request(services: Services, workflow: Workflow, parsed: Migrate | Cleanup, *, user: str, channel: str,
             response_url: str | None, taken: str, **job_details: Any) -> Message:
    """A request is opened the same way from here and from a button (bot.approvals → workers.lifecycle):
    authorised, named (its story starts here), queued and audited as `command`, in one Redis round trip."""
    outcome = services.approvals.request(workflow, user=user, channel=channel, cluster_ref=parsed.cluster,
                                         command=render(parsed), response_url=response_url, **job_details)
    return _text(outcome.refusal.text if outcome.refusal is not None else taken)


def _enqueue(services: Services, parsed: Command, *, user: str, channel: str, response_url: str | None) -> Message:
    """Queue the job and audit the command in one Redis round trip."""
    with services.queues.batched() as (queues, pipeline):
        answer = _queue_job(parsed, queues, user=user, channel=channel, response_url=response_url)
        services.audit.append("command", actor=user, cluster_name=getattr(parsed, "cluster", None),
                              channel=channel, command=render(parsed), pipeline=pipeline)
    return _text(answer)


def _queue_job(parsed: Command, queues: Queues, *, user: str, channel: str, response_url: str | None) -> str:
    """Enqueue the command's job; what the person is told it is doing."""
    if isinstance(parsed, Precheck):
        queues.precheck_for_user(cluster_ref=parsed.cluster, bucket=parsed.bucket, user=user, channel=channel,
                                 response_url=response_url)
        return private_answers.precheck_taken(parsed.cluster)
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
    services.approvals.refuse(None, refusal, user=user, action="command", cluster=getattr(parsed, "cluster", None),
                              command=render(parsed))
    return _text(refusal.text)


def _text(text: str) -> Message:
    return Message(text=text, blocks=[])
