"""The request message's buttons: Approve, Reject, and "Clean up old masters".

A click is acknowledged at once (its HTTP answer carries nothing a person sees); the decision runs
right after, in Bolt's lazy listener: authorise, write the record, audit, queue. A refusal comes back
as a private message to the clicker, and the channel message is left as it was.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.approvals import Outcome
from bot.authz import Click, click_belongs, may_request
from bot.errors import tell_user_on_error
from bot.limits import REASON_MAX_LENGTH
from bot.metrics import DECISIONS, REFUSALS
from bot.services import Services
from workers.records import Kind, State, new_record_id
from workers.ui import private_answers
from workers.ui.ids import (
    APPROVE_CLEANUP,
    APPROVE_MIGRATION,
    REJECT_CLEANUP,
    REJECT_MIGRATION,
    REQUEST_CLEANUP,
)
from workers.ui.modals import reject_dialog

logger = logging.getLogger(__name__)

def register(app: App, services: Services) -> None:
    buttons = Buttons(services)
    app.action(APPROVE_MIGRATION)(ack=acknowledge, lazy=[buttons.approve_migration])
    app.action(APPROVE_CLEANUP)(ack=acknowledge, lazy=[buttons.approve_cleanup])
    app.action(REJECT_MIGRATION)(ack=acknowledge, lazy=[buttons.reject_migration])
    app.action(REJECT_CLEANUP)(ack=acknowledge, lazy=[buttons.reject_cleanup])
    app.action(REQUEST_CLEANUP)(ack=acknowledge, lazy=[buttons.request_cleanup])


def acknowledge(ack: Ack) -> None:
    ack()


class Buttons:
    def __init__(self, services: Services) -> None:
        self.services = services

    @tell_user_on_error
    def approve_migration(self, body: dict[str, Any], client: WebClient) -> None:
        self._approve(body, client, Kind.MIGRATION)

    @tell_user_on_error
    def approve_cleanup(self, body: dict[str, Any], client: WebClient) -> None:
        self._approve(body, client, Kind.CLEANUP)

    @tell_user_on_error
    def reject_migration(self, body: dict[str, Any], client: WebClient) -> None:
        self._open_reject_dialog(body, client, Kind.MIGRATION)

    @tell_user_on_error
    def reject_cleanup(self, body: dict[str, Any], client: WebClient) -> None:
        self._open_reject_dialog(body, client, Kind.CLEANUP)

    @tell_user_on_error
    def request_cleanup(self, body: dict[str, Any], client: WebClient) -> None:
        """"Clean up old masters" on a finished migration opens a cleanup request for the same cluster."""
        services = self.services
        user, channel, record_id = _clicker(body), _channel(body), _value(body)
        record = services.store.find(record_id)
        if record is None or record.kind is not Kind.MIGRATION or record.state is not State.SUCCEEDED:
            text = private_answers.request_gone() if record is None else private_answers.not_a_finished_migration(record)
            self._refuse(client, channel, user, "not_cleanable", text)
            return
        thread = frozenset(ts for _, _, ts in services.store.posted_replies(record.id))  # the button is a reply
        refusal = click_belongs(services.policy, click=_click(body), record=record, thread_messages=thread) or may_request(
            services.policy, user=user, channel=channel, requester_group_members=services.requester_group_members())
        if refusal is not None:
            services.audit.append("refused", actor=user, outcome="refused", record_id=record.id,
                                  cluster_id=record.cluster_id, action="request_cleanup", reason=str(refusal.code))
            self._refuse(client, channel, user, str(refusal.code), refusal.text)
            return
        cleanup_id = new_record_id(Kind.CLEANUP)
        services.queues.open_cleanup_request(
            cluster_ref=record.cluster_id, release_ecs=False, requester=user, channel=channel,
            response_url=body.get("response_url"), parent_id=record.id, record_id=cleanup_id,
        )
        services.audit.append("command", actor=user, record_id=cleanup_id, cluster_id=record.cluster_id,
                              cluster_name=record.cluster_name, command="cleanup", channel=channel,
                              parent_id=record.id)
        client.chat_postEphemeral(channel=channel, user=user, text=private_answers.cleanup_requested_for(record))

    def _approve(self, body: dict[str, Any], client: WebClient, kind: Kind) -> None:
        """Authorised here; counted by a worker once the cluster is re-checked (it says so in the thread)."""
        user, channel = _clicker(body), _channel(body)
        outcome = self.services.approvals.approve(_value(body), user=user, kind=kind, click=_click(body))
        self._tell(client, channel, user, outcome, decision="approved")
        if outcome.allowed and outcome.record is not None:
            client.chat_postEphemeral(channel=channel, user=user, text=private_answers.approval_checking(outcome.record))

    def _open_reject_dialog(self, body: dict[str, Any], client: WebClient, kind: Kind) -> None:
        """Ask for a reason first; the decision itself is taken when the dialog is submitted."""
        user, channel = _clicker(body), _channel(body)
        outcome = self.services.approvals.check_decidable(_value(body), user=user, kind=kind, approving=False,
                                                          click=_click(body))
        if outcome.refusal is not None or outcome.record is None:
            self._tell(client, channel, user, outcome, decision=None)
            return
        client.views_open(trigger_id=body["trigger_id"], view=reject_dialog(outcome.record, channel=channel,
                                                                       reason_max_length=REASON_MAX_LENGTH))

    def _tell(self, client: WebClient, channel: str, user: str, outcome: Outcome, *, decision: str | None) -> None:
        if outcome.refusal is not None:
            self._refuse(client, channel, user, str(outcome.refusal.code), outcome.refusal.text)
        elif decision is not None:
            DECISIONS.labels(decision).inc()

    @staticmethod
    def _refuse(client: WebClient, channel: str, user: str, code: str, text: str) -> None:
        REFUSALS.labels(code).inc()
        client.chat_postEphemeral(channel=channel, user=user, text=text)


def _clicker(body: dict[str, Any]) -> str:
    return str(body["user"]["id"])


def _channel(body: dict[str, Any]) -> str:
    channel = body.get("channel") or {}
    return str(channel.get("id") or body.get("container", {}).get("channel_id", ""))


def _click(body: dict[str, Any]) -> Click:
    """The channel and the message the button was on, as Slack's block_actions payload names them."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    return Click(channel=_channel(body), message_ts=str(container.get("message_ts") or message.get("ts") or ""))


def _value(body: dict[str, Any]) -> str:
    """The request id the button carries (ARCHITECTURE.md, "Names others rely on": the button `value`)."""
    actions = body.get("actions") or [{}]
    return str(actions[0].get("value") or "")
