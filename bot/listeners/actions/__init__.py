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

from bot import replies
from bot.approvals import Outcome
from bot.authz import Click
from bot.blocks import reject_dialog
from bot.errors import tell_user_on_error
from bot.metrics import DECISIONS
from bot.services import Services
from workers.domain.workflows import WORKFLOWS, Workflow, workflow_by_action

logger = logging.getLogger(__name__)

REQUEST_CLEANUP = "request_cleanup"


def register(app: App, services: Services) -> None:
    """Every workflow's Approve and Reject, by the action ids its `Workflow` declares, and the cleanup button."""
    buttons = Buttons(services)
    for workflow in WORKFLOWS:
        app.action(workflow.approve_action)(ack=acknowledge, lazy=[buttons.approve])
        app.action(workflow.reject_action)(ack=acknowledge, lazy=[buttons.reject])
    app.action(REQUEST_CLEANUP)(ack=acknowledge, lazy=[buttons.request_cleanup])


def acknowledge(ack: Ack) -> None:
    ack()


class Buttons:
    def __init__(self, services: Services) -> None:
        self.services = services

    @tell_user_on_error
    def approve(self, body: dict[str, Any], client: WebClient) -> None:
        """Authorised here; counted by a worker once the cluster is re-checked (it says so in the thread)."""
        user, channel = _clicker(body), _channel(body)
        outcome = self.services.approvals.approve(_value(body), user=user, workflow=_workflow(body),
                                                  click=_click(body))
        if _told_refusal(client, channel, user, outcome):
            return
        DECISIONS.labels("approved").inc()
        if outcome.record is not None:
            client.chat_postEphemeral(channel=channel, user=user, text=replies.approval_checking(outcome.record))

    @tell_user_on_error
    def reject(self, body: dict[str, Any], client: WebClient) -> None:
        """Ask for a reason first; the decision itself is taken when the dialog is submitted."""
        user, channel = _clicker(body), _channel(body)
        outcome = self.services.approvals.check_decidable(_value(body), user=user, workflow=_workflow(body),
                                                          approving=False, click=_click(body))
        if _told_refusal(client, channel, user, outcome) or outcome.record is None:
            return
        client.views_open(trigger_id=body["trigger_id"], view=reject_dialog(outcome.record, channel=channel))

    @tell_user_on_error
    def request_cleanup(self, body: dict[str, Any], client: WebClient) -> None:
        """"Clean up old masters" on a finished migration opens a cleanup request for the same cluster."""
        user, channel = _clicker(body), _channel(body)
        outcome = self.services.approvals.request_cleanup_of(
            _value(body), user=user, channel=channel, click=_click(body), response_url=body.get("response_url"))
        if _told_refusal(client, channel, user, outcome) or outcome.record is None:
            return
        client.chat_postEphemeral(channel=channel, user=user, text=replies.cleanup_requested_for(outcome.record))


def _told_refusal(client: WebClient, channel: str, user: str, outcome: Outcome) -> bool:
    """Show a refusal privately (it is already counted and audited); True when there was one."""
    if outcome.refusal is None:
        return False
    client.chat_postEphemeral(channel=channel, user=user, text=outcome.refusal.text)
    return True


def _workflow(body: dict[str, Any]) -> Workflow:
    """The workflow whose button this is, by its action id (register() routes only those here)."""
    actions = body.get("actions") or [{}]
    return workflow_by_action(str(actions[0].get("action_id") or ""))


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
