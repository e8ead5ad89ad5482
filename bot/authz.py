"""Who may ask for what, where, and who may decide: the rules as pure functions over plain values.

The settings name users (`U…`) and user groups (`S…`); by the time a rule is applied the groups have been
expanded into their members (bot.usergroups does that, with a short cache), so these functions never
call Slack and are tested without a server. Each answers None (allowed) or a `Refusal` whose text is
what the person is told, privately, and whose `code` labels the metric and the audit entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from workers.domain.records import Record
from workers.ui import private_answers


class RefusalCode(StrEnum):
    CHANNEL = "channel"
    NOT_REQUESTER = "not_requester"
    NOT_APPROVER = "not_approver"
    TWO_PERSON_RULE = "two_person_rule"
    NOT_CANCELLER = "not_canceller"
    ALREADY_DECIDED = "already_decided"
    EXPIRED = "expired"
    NOT_FOUND = "not_found"
    WRONG_KIND = "wrong_kind"
    NOTHING_TO_CANCEL = "nothing_to_cancel"
    NOT_CLEANABLE = "not_cleanable"
    LOOKUP_FAILED = "lookup_failed"
    FOREIGN_CLICK = "foreign_click"
    ALREADY_APPROVED = "already_approved"


@dataclass(frozen=True)
class Refusal:
    code: RefusalCode
    text: str  # Slack mrkdwn, anything a user typed already escaped


@dataclass(frozen=True)
class Principals:
    """A settings list split into users and user groups, e.g. ACKMIGRATE_APPROVERS."""

    users: frozenset[str]
    groups: frozenset[str]

    @classmethod
    def parse(cls, ids: Iterable[str]) -> Principals:
        ids = tuple(ids)
        return cls(
            users=frozenset(i for i in ids if i.startswith("U")),
            groups=frozenset(i for i in ids if i.startswith("S")),
        )

    @property
    def empty(self) -> bool:
        return not self.users and not self.groups

    def label(self) -> str:
        """How the approvers are named in messages: `<!subteam^S…>` for groups, `<@U…>` for people."""
        return private_answers.principals(tuple(self.groups), tuple(self.users))


@dataclass(frozen=True)
class Policy:
    """The settings that decide who may do what (README "Configuration": ACKMIGRATE_APPROVERS, …_REQUESTERS, …)."""

    approvers: Principals
    requesters: Principals  # empty: anyone in an allowed channel
    channels: frozenset[str]  # empty: any channel the bot is in
    two_person_rule: bool = True

    @classmethod
    def from_lists(
        cls,
        *,
        approvers: Iterable[str],
        requesters: Iterable[str] = (),
        channels: Iterable[str] = (),
        two_person_rule: bool = True,
    ) -> Policy:
        return cls(
            approvers=Principals.parse(approvers),
            requesters=Principals.parse(requesters),
            channels=frozenset(channels),
            two_person_rule=two_person_rule,
        )


def is_member(user: str, principals: Principals, group_members: frozenset[str]) -> bool:
    """`group_members`: everyone in `principals.groups`, already expanded."""
    return user in principals.users or user in group_members


def may_use_channel(policy: Policy, channel: str) -> Refusal | None:
    if not policy.channels or channel in policy.channels:
        return None
    return Refusal(RefusalCode.CHANNEL, private_answers.channel_not_allowed(tuple(policy.channels)))


def may_request(policy: Policy, *, user: str, channel: str, requester_group_members: frozenset[str]) -> Refusal | None:
    """Opening a migration or cleanup request: the channel must be allowed and the user a requester."""
    refused = may_use_channel(policy, channel)
    if refused is not None:
        return refused
    if policy.requesters.empty or is_member(user, policy.requesters, requester_group_members):
        return None
    return Refusal(RefusalCode.NOT_REQUESTER, private_answers.not_a_requester(policy.requesters.label()))


def may_decide(
    policy: Policy, *, user: str, record: Record, approver_group_members: frozenset[str], approving: bool
) -> Refusal | None:
    """Approving or rejecting: an approver, and (approving, under the two-person rule) not the requester.

    Rejecting one's own request is allowed: it can only make things safer.
    """
    if not is_member(user, policy.approvers, approver_group_members):
        return Refusal(RefusalCode.NOT_APPROVER,
                       private_answers.not_an_approver(record, policy.approvers.label(), approving=approving))
    if approving and policy.two_person_rule and user == record.requester:
        return Refusal(RefusalCode.TWO_PERSON_RULE, private_answers.own_request(record))
    return None


@dataclass(frozen=True)
class Click:
    """Where a button was clicked: the channel and the message (`container.message_ts`) it was on."""

    channel: str
    message_ts: str


def click_belongs(
    policy: Policy, *, click: Click, record: Record, thread_messages: frozenset[str] = frozenset()
) -> Refusal | None:
    """A click counts only on the request's own message (or, for a button posted in its thread, on
    one of `thread_messages`), in its own channel, and that channel allowed.

    A correctly signed payload can still name any channel and any message_ts (a crafted request, or a
    copy of the message forwarded elsewhere): the request id in the button's value is not enough.
    """
    on_its_message = click.message_ts == record.message_ts or click.message_ts in thread_messages
    if click.channel != record.channel or not click.message_ts or not on_its_message or (
        may_use_channel(policy, click.channel) is not None
    ):
        return Refusal(RefusalCode.FOREIGN_CLICK, private_answers.foreign_click())
    return None


def may_cancel(policy: Policy, *, user: str, record: Record, approver_group_members: frozenset[str]) -> Refusal | None:
    """Withdrawing a request: the person who asked, or anyone who could have decided it."""
    if user == record.requester or is_member(user, policy.approvers, approver_group_members):
        return None
    return Refusal(RefusalCode.NOT_CANCELLER, private_answers.not_a_canceller(record, policy.approvers.label()))
