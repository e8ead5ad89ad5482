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

from bot import replies
from bot.authz import Refusal, RefusalCode, may_use_channel
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
from bot.metrics import COMMANDS, DECISIONS
from bot.services import Services
from bot.status import status_message
from bot.usergroups import GroupLookupFailed
from workers.domain.workflows import CLEANUP, MIGRATION, Workflow
from workers.fleet.scope import Scope, ScopeError, places
from workers.messages import Message
from workers.queues import Queues

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
            return _text(replies.usage_text(error))
        COMMANDS.labels(subcommand_of(parsed)).inc()
        if isinstance(parsed, Help):
            return _text(replies.help_text(parsed.topic))
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
            if outcome.refusal is not None:  # already counted and audited
                return _text(outcome.refusal.text)
            DECISIONS.labels("cancelled").inc()
            assert outcome.record is not None  # an applied cancel always has its record
            return _text(replies.cancelled(outcome.record))
        if isinstance(parsed, Plan):
            # An account or region not configured is refused here, privately, before anything is queued.
            try:
                places(services.settings.accounts, Scope(parsed.account, parsed.region))
            except ScopeError as error:
                return _text(f":warning: {error}")
        if isinstance(parsed, Migrate):
            return self._request(MIGRATION, parsed, user=user, channel=channel, response_url=response_url,
                                 bucket=parsed.bucket, taken=replies.migrate_taken(parsed.cluster, parsed.bucket))
        if isinstance(parsed, Cleanup):
            return self._request(CLEANUP, parsed, user=user, channel=channel, response_url=response_url,
                                 release_ecs=parsed.release_ecs,
                                 taken=replies.cleanup_taken(parsed.cluster, parsed.release_ecs))
        return self._enqueue(parsed, user=user, channel=channel, response_url=response_url)

    def _request(self, workflow: Workflow, parsed: Migrate | Cleanup, *, user: str, channel: str,
                 response_url: str | None, taken: str, **job_details: Any) -> Message:
        """A request is opened the same way from here and from a button (bot.approvals → workers.lifecycle):
        authorised, named, queued and audited as `command`, in one Redis round trip."""
        outcome = self.services.approvals.request(workflow, user=user, channel=channel, cluster_ref=parsed.cluster,
                                                  command=render(parsed), response_url=response_url, **job_details)
        return _text(outcome.refusal.text if outcome.refusal is not None else taken)

    def _enqueue(self, parsed: Command, *, user: str, channel: str, response_url: str | None) -> Message:
        """Queue the job and audit the command in one Redis round trip."""
        with self.services.queues.batched() as (queues, pipeline):
            answer = self._queue_job(parsed, queues, user=user, channel=channel, response_url=response_url)
            self.services.audit.append("command", actor=user, cluster_name=getattr(parsed, "cluster", None),
                                       channel=channel, command=render(parsed), pipeline=pipeline)
        return _text(answer)

    @staticmethod
    def _queue_job(parsed: Command, queues: Queues, *, user: str, channel: str, response_url: str | None) -> str:
        """Enqueue the command's job; what the person is told it is doing."""
        if isinstance(parsed, Precheck):
            queues.precheck_for_user(cluster_ref=parsed.cluster, bucket=parsed.bucket, user=user, channel=channel,
                                     response_url=response_url)
            return replies.precheck_taken(parsed.cluster)
        if isinstance(parsed, Verify):
            queues.verify_for_user(cluster_ref=parsed.cluster, user=user, channel=channel, response_url=response_url)
            return replies.verify_taken(parsed.cluster)
        if isinstance(parsed, Plan):
            queues.plan_fleet(account=parsed.account, region=parsed.region, user=user, channel=channel)
            return replies.plan_taken(Scope(parsed.account, parsed.region).describe())
        if isinstance(parsed, ListClusters):
            queues.list_clusters_for_user(user=user, channel=channel, response_url=response_url)
            return replies.list_taken()
        raise AssertionError(f"no handler for {parsed!r}")  # _run answered every other command

    def _refused(self, parsed: Command, user: str, refusal: Refusal) -> Message:
        self.services.approvals.refuse(None, refusal, user=user, action="command",
                                       cluster=getattr(parsed, "cluster", None), command=render(parsed))
        return _text(refusal.text)


def _text(text: str) -> Message:
    return Message(text=text, blocks=[])
