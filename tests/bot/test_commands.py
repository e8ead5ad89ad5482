"""`/ackmigrate` typed in the sandbox workspace, delivered signed to the running bot: what the person
sees privately, what lands in the channel, the records and the queued jobs."""

from __future__ import annotations

import pytest

from tests.bot.harness import RunningBot, StartBot
from tests.bot.records import awaiting_request
from workers.audit import AuditLog
from workers.domain.records import State


def _private(bot: RunningBot, user: str = "U0ALICE", channel: str = "C0PLATFORM") -> list[str]:
    return [m["text"] for m in bot.control.slack_ephemeral(channel=channel, user=user)]


def _nothing_happened(bot: RunningBot) -> None:
    assert bot.jobs() == []
    assert bot.store.in_flight() == [] and bot.store.recent() == []
    assert bot.control.slack_messages("C0PLATFORM") == []


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("frobnicate prod-hz-1", "`frobnicate` is not an ackmigrate command"),
        ("migrate prod-hz-1", "Usage: `/ackmigrate migrate CLUSTER --bucket B`"),
        ("migrate prod-hz-1 --bucket ack_migrate", "`ack_migrate` is not a valid bucket name"),
        ("cleanup prod-hz-1 extra", "Usage: `/ackmigrate cleanup CLUSTER [--release-ecs]`"),
        ("precheck <!channel>", "`&lt;!channel&gt;` is not a cluster id"),
    ],
)
def test_malformed_command_gets_its_usage_privately_and_nothing_else_happens(
    bot: RunningBot, text: str, shown: str
) -> None:
    answer = bot.control.slash("U0ALICE", "C0PLATFORM", text)
    assert answer["status"] == 200
    (private,) = _private(bot)
    assert shown in private
    _nothing_happened(bot)
    assert len(AuditLog(bot.redis)) == 0


def test_help_lists_every_subcommand(bot: RunningBot) -> None:
    bot.control.slash("U0DAVE", "C0PLATFORM", "help")
    (private,) = _private(bot, user="U0DAVE")
    for subcommand in ("precheck", "migrate", "status", "cancel", "cleanup", "list"):
        assert f"/ackmigrate {subcommand}" in private
    _nothing_happened(bot)


def test_migrate_is_acknowledged_at_once_and_queues_the_request(bot: RunningBot) -> None:
    answer = bot.control.slash("U0ALICE", "C0PLATFORM", "migrate prod-hz-1 --bucket ack-migrate-hz")
    assert answer["status"] == 200 and not answer["late"]
    (private,) = _private(bot)
    assert "Running prechecks for `prod-hz-1` with bucket `ack-migrate-hz`" in private
    ((func, args, kwargs),) = bot.jobs()
    assert (func, args) == ("workers.jobs.open_migration_request", ())
    record_id = kwargs.pop("record_id")
    assert kwargs == {"cluster_ref": "prod-hz-1", "bucket": "ack-migrate-hz", "requester": "U0ALICE",
                      "channel": "C0PLATFORM", "response_url": answer["response_url"]}
    entry = AuditLog(bot.redis).read()[-1]
    assert (entry.event, entry.actor, entry.details["command"], entry.record_id) == (
        "command", "U0ALICE", "migrate prod-hz-1 --bucket ack-migrate-hz", record_id), "the request's story starts"
    assert record_id.startswith("m-")


@pytest.mark.parametrize(
    ("text", "func", "kwargs", "shown"),
    [
        ("precheck prod-hz-1 --bucket=ack-b", "workers.jobs.precheck_for_user",
         {"cluster_ref": "prod-hz-1", "bucket": "ack-b", "user": "U0ALICE", "channel": "C0PLATFORM"},
         "Running prechecks for `prod-hz-1`"),
        ("cleanup prod-hz-1 --release-ecs", "workers.jobs.open_cleanup_request",
         {"cluster_ref": "prod-hz-1", "release_ecs": True, "requester": "U0ALICE", "channel": "C0PLATFORM"},
         "release their ECS instances"),
        ("list", "workers.jobs.list_clusters_for_user", {"user": "U0ALICE", "channel": "C0PLATFORM"},
         "Listing the region's dedicated clusters"),
    ],
)
def test_background_commands_queue_their_job(
    bot: RunningBot, text: str, func: str, kwargs: dict[str, object], shown: str
) -> None:
    answer = bot.control.slash("U0ALICE", "C0PLATFORM", text)
    ((queued, _, queued_kwargs),) = bot.jobs()
    assert queued == func
    if func == "workers.jobs.open_cleanup_request":
        assert str(queued_kwargs.pop("record_id")).startswith("c-"), "a request is named from its command on"
    assert queued_kwargs == {**kwargs, "response_url": answer["response_url"]}
    assert shown in _private(bot)[0]


def test_requester_outside_the_requesters_list_is_refused(start_bot: StartBot) -> None:
    bot = start_bot(ACKMIGRATE_REQUESTERS="U0ALICE")
    bot.control.slash("U0DAVE", "C0PLATFORM", "migrate prod-hz-1 --bucket ack-migrate-hz")
    (private,) = _private(bot, user="U0DAVE")
    assert private == ("Only <@U0ALICE> can request migrations and cleanups. Ask one of them to run it.")
    _nothing_happened(bot)
    entry = AuditLog(bot.redis).read()[-1]
    assert (entry.event, entry.actor, entry.details["reason"]) == ("refused", "U0DAVE", "not_requester")


def test_requesters_may_be_a_user_group(start_bot: StartBot) -> None:
    bot = start_bot(ACKMIGRATE_REQUESTERS="S0PLATFORM")
    bot.control.slash("U0BOB", "C0PLATFORM", "migrate prod-hz-1 --bucket ack-migrate-hz")
    assert bot.job_names() == ["workers.jobs.open_migration_request"]


def test_command_in_a_channel_not_allowed_is_refused(start_bot: StartBot) -> None:
    bot = start_bot(ACKMIGRATE_CHANNELS="C0OTHER")
    bot.control.slash("U0ALICE", "C0PLATFORM", "migrate prod-hz-1 --bucket ack-migrate-hz")
    assert _private(bot) == ["ackmigrate takes requests only in <#C0OTHER>."]
    _nothing_happened(bot)


def test_status_answers_from_redis_with_each_request_and_its_thread(bot: RunningBot) -> None:
    record = awaiting_request(bot.redis, cluster_name="prod-hz-1")
    ts = bot.post_request_message(record)
    bot.control.slash("U0DAVE", "C0PLATFORM", "status")
    (shown,) = bot.control.slack_ephemeral(channel="C0PLATFORM", user="U0DAVE")
    blocks_text = str(shown["blocks"])
    assert "prod-hz-1" in blocks_text and "awaiting approval" in blocks_text
    assert f"/archives/C0PLATFORM/p{ts.replace('.', '')}" in blocks_text
    assert bot.jobs() == []


def test_status_of_an_unknown_cluster_says_so(bot: RunningBot) -> None:
    bot.control.slash("U0DAVE", "C0PLATFORM", "status nope-1")
    assert _private(bot, user="U0DAVE") == ["There is no migration or cleanup request for `nope-1` yet."]


def test_cancel_by_the_requester_withdraws_and_queues_the_message_update(bot: RunningBot) -> None:
    record = awaiting_request(bot.redis)
    bot.control.slash("U0ALICE", "C0PLATFORM", "cancel prod-hz-1")
    assert _private(bot) == [":no_entry_sign: Cancelled the migration request for `prod-hz-1`."]
    assert bot.store.get(record.id).state is State.CANCELLED
    assert bot.jobs() == [("workers.jobs.deliver_notifications", (record.id,), {})]
    assert [e.event for e in AuditLog(bot.redis).read()] == ["cancelled"]


def test_cancel_by_someone_else_is_refused(bot: RunningBot) -> None:
    record = awaiting_request(bot.redis)
    bot.control.slash("U0DAVE", "C0PLATFORM", "cancel prod-hz-1")
    assert "Only <@U0ALICE> (who asked)" in _private(bot, user="U0DAVE")[0]
    assert bot.store.get(record.id).state is State.AWAITING_APPROVAL
    assert bot.jobs() == []


def test_wave_create_is_acknowledged_at_once_and_queues_the_wave_request(bot: RunningBot) -> None:
    answer = bot.control.slash("U0ALICE", "C0PLATFORM",
                               "wave create w1 --clusters web-*,api-1 --bucket-map cn-hangzhou=ack-migrate-hz "
                               "--max-parallel 2 --soak 10m")
    assert answer["status"] == 200 and not answer["late"]
    (private,) = _private(bot)
    assert "Composing wave *w1*" in private
    ((func, args, kwargs),) = bot.jobs()
    assert (func, args) == ("workers.jobs.open_wave_request", ())
    assert (kwargs["name"], kwargs["patterns"], kwargs["max_parallel"], kwargs["soak_s"]) == (
        "w1", ["web-*", "api-1"], 2, 600.0)
    assert [(e.event, e.details["wave"]) for e in AuditLog(bot.redis).read()] == [("command", "w1")]


def test_freeze_is_taken_at_once_and_unfreeze_by_a_non_approver_is_refused(bot: RunningBot) -> None:
    bot.control.slash("U0ALICE", "C0PLATFORM", "freeze --until 2h --reason 'incident 7'")
    bot.control.slash("U0ALICE", "C0PLATFORM", "unfreeze")
    frozen, refused = _private(bot)
    assert "incident 7" in frozen
    assert "approver" in refused
    assert [e.event for e in AuditLog(bot.redis).read()] == ["frozen", "refused"]
    assert [func for func, _, _ in bot.jobs()] == ["workers.jobs.freeze_changed"]
