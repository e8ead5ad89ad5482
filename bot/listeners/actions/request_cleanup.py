""""Clean up old masters" on a finished migration: opens a cleanup request for the same cluster."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.authz import click_belongs, may_request
from bot.listeners.actions.clicks import channel_of, click_of, clicker, refuse, request_id_of
from bot.services import Services
from workers.domain.records import Kind, State, new_record_id
from workers.ui import private_answers


def request_cleanup(services: Services, body: dict[str, Any], client: WebClient) -> None:
    user, channel, record_id = clicker(body), channel_of(body), request_id_of(body)
    record = services.store.find(record_id)
    if record is None or record.kind is not Kind.MIGRATION or record.state is not State.SUCCEEDED:
        text = private_answers.request_gone() if record is None else private_answers.not_a_finished_migration(record)
        refuse(client, channel, user, "not_cleanable", text)
        return
    thread = frozenset(ts for _, _, ts in services.store.posted_replies(record.id))  # the button is a reply
    refusal = click_belongs(services.policy, click=click_of(body), record=record, thread_messages=thread) or may_request(
        services.policy, user=user, channel=channel, requester_group_members=services.requester_group_members())
    if refusal is not None:
        services.audit.append("refused", actor=user, outcome="refused", record_id=record.id,
                              cluster_id=record.cluster_id, action="request_cleanup", reason=str(refusal.code))
        refuse(client, channel, user, str(refusal.code), refusal.text)
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
