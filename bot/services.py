"""Everything a listener needs, built once per process and handed to each `register(app, services)`.

Listeners get their collaborators passed in rather than reaching for globals, so a test can build the
same object against the sandbox and drive the same code Slack drives.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from redis import Redis
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.approvals import Approvals
from bot.authz import Policy
from bot.usergroups import GroupMembers
from bot.waves import WaveDecisions
from workers.audit import AuditLog
from workers.config import Settings
from workers.freeze_store import FreezeStore
from workers.lifecycle import Lifecycle
from workers.queues import Queues
from workers.store import RecordStore
from workers.ui.request_message import request_message
from workers.wave_store import WaveStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    settings: Settings
    redis: Redis
    client: WebClient
    store: RecordStore
    audit: AuditLog
    queues: Queues
    policy: Policy
    groups: GroupMembers
    approvals: Approvals
    waves: WaveDecisions
    team_url: str  # https://TEAM.slack.com/, from auth.test: permalinks without an API call each

    @classmethod
    def build(cls, settings: Settings, *, redis: Redis, client: WebClient, team_url: str) -> Services:
        store, queues = RecordStore(redis), Queues(redis)
        audit = AuditLog(redis, retention_days=settings.audit_retention_days)
        policy = Policy.from_lists(
            approvers=settings.approvers, requesters=settings.requesters, channels=settings.channels,
            two_person_rule=settings.two_person_rule,
        )
        groups = GroupMembers(client)
        wave_store = WaveStore(redis)
        lifecycle = Lifecycle(store=store, audit=audit, queues=queues, waves=wave_store)

        def approver_members() -> frozenset[str]:
            return groups.members(policy.approvers.groups, fresh=True)  # decisions only

        def requester_members() -> frozenset[str]:
            # asking is not deciding: the requester groups may come from the cache
            return groups.members(policy.requesters.groups) if policy.requesters.groups else frozenset()

        approvals = Approvals(store=store, lifecycle=lifecycle, policy=policy, approver_members=approver_members,
                              requester_members=requester_members)
        waves = WaveDecisions(lifecycle=lifecycle, waves=wave_store, freezes=FreezeStore(redis, audit), policy=policy,
                              approver_members=approver_members, requester_members=requester_members)
        return cls(settings=settings, redis=redis, client=client, store=store, audit=audit, queues=queues,
                   policy=policy, groups=groups, approvals=approvals, waves=waves, team_url=team_url)

    def refresh_message(self, record_id: str) -> None:
        """Show a decision in the channel now, rendered from the record as it is after the write.

        The notify job re-renders the same message from the record anyway; this only saves the seconds
        until a worker picks it up. When Slack refuses, the job's render is the one that counts.
        """
        record = self.store.get(record_id)
        if not record.message_ts:
            return
        message = request_message(record, approvers_label=self.policy.approvers.label(),
                                  two_person_rule=self.policy.two_person_rule, now=time.time())
        try:
            self.client.chat_update(channel=record.channel, ts=record.message_ts, text=message.text,
                                    blocks=message.blocks)
        except SlackClientError as error:
            logger.warning("chat.update of %s failed (%s); the notify job re-renders it", record.id, error)

    def permalink(self, channel: str, ts: str | None) -> str | None:
        """Slack's permalink form for a message (what chat.getPermalink returns for a top-level one)."""
        if not ts:
            return None
        return f"{self.team_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"
