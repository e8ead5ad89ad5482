"""Who may request, approve, reject and cancel: the rules on plain values, the refusal a person reads."""

from __future__ import annotations

from bot.authz import Policy, Principals, RefusalCode, may_cancel, may_decide, may_request
from workers.domain.records import Kind, Record

PLATFORM_LEADS = frozenset({"U0BOB", "U0CAROL"})
POLICY = Policy.from_lists(approvers=["S0PLATFORM", "U0DAVE"], channels=["C0PLATFORM"])


def _record(kind: Kind = Kind.MIGRATION, requester: str = "U0ALICE") -> Record:
    return Record(id="m-1", kind=kind, cluster_id="c" + "0" * 32, cluster_name="prod-hz-1", region="cn-hangzhou",
                  requester=requester, channel="C0PLATFORM")


def test_anyone_may_request_in_an_allowed_channel_when_requesters_is_empty() -> None:
    assert may_request(POLICY, user="U0ALICE", channel="C0PLATFORM", requester_group_members=frozenset()) is None


def test_request_in_another_channel_is_refused_naming_the_allowed_ones() -> None:
    refusal = may_request(POLICY, user="U0ALICE", channel="C0OTHER", requester_group_members=frozenset())
    assert refusal is not None and refusal.code is RefusalCode.CHANNEL
    assert "<#C0PLATFORM>" in refusal.text


def test_requesters_list_limits_who_may_ask_users_and_group_members_alike() -> None:
    policy = Policy.from_lists(approvers=["S0PLATFORM"], requesters=["U0ALICE", "S0PLATFORM"])
    assert may_request(policy, user="U0ALICE", channel="C0X", requester_group_members=PLATFORM_LEADS) is None
    assert may_request(policy, user="U0BOB", channel="C0X", requester_group_members=PLATFORM_LEADS) is None
    refusal = may_request(policy, user="U0DAVE", channel="C0X", requester_group_members=PLATFORM_LEADS)
    assert refusal is not None and refusal.code is RefusalCode.NOT_REQUESTER
    assert "<!subteam^S0PLATFORM>" in refusal.text


def test_group_member_and_listed_user_may_approve() -> None:
    for user in ("U0BOB", "U0DAVE"):
        assert may_decide(POLICY, user=user, record=_record(), approver_group_members=PLATFORM_LEADS,
                          approving=True) is None


def test_non_approver_is_refused_with_who_can() -> None:
    refusal = may_decide(POLICY, user="U0ALICE", record=_record(requester="U0DAVE"),
                         approver_group_members=PLATFORM_LEADS, approving=True)
    assert refusal is not None and refusal.code is RefusalCode.NOT_APPROVER
    assert refusal.text == "Only <!subteam^S0PLATFORM>, <@U0DAVE> can approve migrations."


def test_requester_cannot_approve_own_request_under_two_person_rule() -> None:
    refusal = may_decide(POLICY, user="U0BOB", record=_record(requester="U0BOB"),
                         approver_group_members=PLATFORM_LEADS, approving=True)
    assert refusal is not None and refusal.code is RefusalCode.TWO_PERSON_RULE
    assert refusal.text == "You requested this migration, so someone else must approve it (two-person rule)."


def test_requester_may_approve_own_request_when_two_person_rule_is_off() -> None:
    policy = Policy.from_lists(approvers=["U0BOB"], two_person_rule=False)
    assert may_decide(policy, user="U0BOB", record=_record(requester="U0BOB"),
                      approver_group_members=frozenset(), approving=True) is None


def test_requester_who_is_an_approver_may_reject_own_request() -> None:
    assert may_decide(POLICY, user="U0BOB", record=_record(requester="U0BOB"),
                      approver_group_members=PLATFORM_LEADS, approving=False) is None


def test_cancel_is_for_the_requester_or_an_approver_only() -> None:
    record = _record(kind=Kind.CLEANUP, requester="U0ALICE")
    assert may_cancel(POLICY, user="U0ALICE", record=record, approver_group_members=PLATFORM_LEADS) is None
    assert may_cancel(POLICY, user="U0CAROL", record=record, approver_group_members=PLATFORM_LEADS) is None
    refusal = may_cancel(Policy.from_lists(approvers=["U0BOB"]), user="U0CAROL", record=record,
                         approver_group_members=frozenset())
    assert refusal is not None and refusal.code is RefusalCode.NOT_CANCELLER
    assert "<@U0ALICE>" in refusal.text


def test_empty_approvers_are_named_as_nobody() -> None:
    assert "ACKMIGRATE_APPROVERS is empty" in Principals.parse([]).label()
