"""`/ackmigrate …`: parse, authorise, hand the work to RQ, and answer privately — all inside the ack.

Everything here touches only Redis (and, for group membership, a cached Slack lookup), so the answer
is the slash command's HTTP response itself: the person sees "Running prechecks for prod-hz-1…" the
moment Slack gets it, and a usage error changes nothing at all.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

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
from bot.listeners.commands.open_form import open_form
from bot.metrics import COMMANDS, DECISIONS, REFUSALS
from bot.services import Services
from bot.status import status_message
from bot.usergroups import GroupLookupFailed
from workers.fleet.scope import Scope, ScopeError, places
from workers.queues import Queues
from workers.records import Kind, new_record_id
from workers.ui import private_answers
from workers.ui.kit import Message

logger = logging.getLogger(__name__)

COMMAND = "/ackmigrate"


def register(app: App, services: Services) -> None:
    app.command(COMMAND)(SlashCommand(services).acknowledge)


class SlashCommand:
    def __init__(self, services: Services) -> None:
        self.services = services

    def acknowledge(self, ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        """Answer within Slack's 3 seconds with what was done (or why nothing was).

        `/ackmigrate` alone opens the modal (bot.modal) instead: views.open is the one Slack call made
        before the acknowledgement, because the trigger it needs lasts only 3 seconds.
        """
        if not str(command.get("text") or "").strip():
            open_form(self.services, client, command)
            ack()
            return
        answer = self.answer(command)
        ack(response_type="ephemeral", text=answer.text, blocks=answer.blocks or None)

    def answer(self, command: dict[str, Any]) -> Message:
        user, channel = str(command.get("user_id", "")), str(command.get("channel_id", ""))
        try:
            parsed = parse(str(command.get("text") or ""))
        except UsageError as error:
            COMMANDS.labels("usage_error").inc()
            return _text(private_answers.usage_text(error.problem, error.subcommand))
        COMMANDS.labels(subcommand_of(parsed)).inc()
        if isinstance(parsed, Help):
            return _text(private_answers.help_text(parsed.topic))
        refusal = may_use_channel(self.services.policy, channel)
        if refusal is not None:
            return self._refused(parsed, user, refusal)
        try:
            return self._run(parsed, user=user, channel=channel, response_url=command.get("response_url"))
        except GroupLookupFailed as error:
            logger.warning("refusing %s for %s: %s", render(parsed), user, error)
            text = f"I could not check who may do this just now ({error.detail}). Nothing was changed; try again."
            return self._refused(parsed, user, Refusal(RefusalCode.LOOKUP_FAILED, text))

    def _run(self, parsed: Command, *, user: str, channel: str, response_url: str | None) -> Message:
        services = self.services
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
                return _text(f":warning: {error}")
        if isinstance(parsed, Migrate | Cleanup):
            refusal = may_request(services.policy, user=user, channel=channel,
                                  requester_group_members=services.requester_group_members())
            if refusal is not None:
                return self._refused(parsed, user, refusal)
        return self._enqueue(parsed, user=user, channel=channel, response_url=response_url)

    def _enqueue(self, parsed: Command, *, user: str, channel: str, response_url: str | None) -> Message:
        """Queue the job and audit the command in one Redis round trip; a request gets its id here, so its
        story starts here."""
        record_id = new_record_id(Kind.MIGRATION) if isinstance(parsed, Migrate) else (
            new_record_id(Kind.CLEANUP) if isinstance(parsed, Cleanup) else None)
        with self.services.queues.batched() as (queues, pipeline):
            answer = self._queue_job(parsed, queues, user=user, channel=channel, response_url=response_url,
                                     record_id=record_id)
            self.services.audit.append("command", actor=user, record_id=record_id,
                                       cluster_name=getattr(parsed, "cluster", None), channel=channel,
                                       command=render(parsed), pipeline=pipeline)
        return _text(answer)

    @staticmethod
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

    def _refused(self, parsed: Command, user: str, refusal: Refusal) -> Message:
        REFUSALS.labels(str(refusal.code)).inc()
        self.services.audit.append("refused", actor=user, outcome="refused", command=render(parsed),
                                   cluster_name=getattr(parsed, "cluster", None), reason=str(refusal.code))
        return _text(refusal.text)


def _text(text: str) -> Message:
    return Message(text=text, blocks=[])
