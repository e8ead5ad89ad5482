"""The `/ackmigrate` grammar: every documented form parses, everything else is a UsageError naming whose
usage to show."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.grammar import (
    SUBCOMMANDS,
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
    is_cluster_id,
    parse,
    render,
)
from bot.limits import MAX_COMMAND_TEXT

CLUSTER_ID = "c82e6987e29614511b3e6a3d3a4fbbd2a"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Help()),
        ("   ", Help()),
        ("help", Help()),
        ("help migrate", Help("migrate")),
        ("HELP", Help()),
        ("list", ListClusters()),
        ("verify prod-hz-1", Verify("prod-hz-1")),
        (f"VERIFY {CLUSTER_ID}", Verify(CLUSTER_ID)),
        ("precheck prod-hz-1", Precheck("prod-hz-1")),
        ("precheck prod-hz-1 --bucket ack-migrate-hz", Precheck("prod-hz-1", "ack-migrate-hz")),
        ("precheck --bucket=ack-migrate-hz prod-hz-1", Precheck("prod-hz-1", "ack-migrate-hz")),
        ("migrate prod-hz-1 --bucket ack-migrate-hz", Migrate("prod-hz-1", "ack-migrate-hz")),
        ("migrate 'prod-hz-1' --bucket=\"ack-migrate-hz\"", Migrate("prod-hz-1", "ack-migrate-hz")),
        ("migrate “prod-hz-1” --bucket ack-migrate-hz", Migrate("prod-hz-1", "ack-migrate-hz")),
        (f"migrate {CLUSTER_ID} --bucket abc", Migrate(CLUSTER_ID, "abc")),
        ("status", Status()),
        ("status prod_hz_1", Status("prod_hz_1")),
        ("cancel 生产集群-1", Cancel("生产集群-1")),
        ("cleanup prod-hz-1", Cleanup("prod-hz-1")),
        ("cleanup prod-hz-1 --release-ecs", Cleanup("prod-hz-1", release_ecs=True)),
        ("migrate b/prod-hz-1 --bucket ack-migrate-hz", Migrate("b/prod-hz-1", "ack-migrate-hz")),
        ("precheck main/prod-hz-1", Precheck("main/prod-hz-1")),
        ("verify b/prod-hz-1", Verify("b/prod-hz-1")),
        ("cleanup b/prod-hz-1", Cleanup("b/prod-hz-1")),
        ("plan", Plan()),
        ("plan --account b --region cn-beijing", Plan("b", "cn-beijing")),
        ("plan --region=cn-hangzhou", Plan(region="cn-hangzhou")),
    ],
)
def test_documented_forms_parse_to_their_command(text: str, expected: Command) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "subcommand", "says"),
    [
        ("frobnicate prod", None, "`frobnicate` is not an ackmigrate command"),
        ("migrate prod-hz-1", "migrate", "needs `--bucket B`"),
        ("migrate --bucket abc", "migrate", "needs a cluster"),
        ("migrate prod-hz-1 extra --bucket abc", "migrate", "more than it takes: `extra`"),
        ("migrate prod-hz-1 --bucket ack_migrate", "migrate", "`ack_migrate` is not a valid bucket name"),
        ("migrate prod-hz-1 --bucket Ab", "migrate", "not a valid bucket name"),
        ("migrate prod-hz-1 --bucket -abc-", "migrate", "not a valid bucket name"),
        ("migrate prod-hz-1 --bucket", "migrate", "`--bucket` needs a value"),
        ("migrate prod-hz-1 --bucket a --bucket b", "migrate", "given twice"),
        ("migrate prod-hz-1 --bukket abc", "migrate", "no option `--bukket`"),
        ("migrate prod-hz-1 -b abc", "migrate", "no option `-b`"),
        ("precheck -prod --bucket abc", "precheck", "no option `-prod`"),
        ("precheck _prod", "precheck", "not a cluster id"),
        ("precheck " + "a" * 64, "precheck", "not a cluster id"),
        ("cleanup prod --release-ecs=yes", "cleanup", "takes no value"),
        ("cancel", "cancel", "needs a cluster"),
        ("cancel b/prod-hz-1", "cancel", "not a cluster id"),
        ("status b/prod-hz-1", "status", "not a cluster id"),
        ("precheck B/prod-hz-1", "precheck", "not a cluster id"),
        ("precheck b/prod-*", "precheck", "not a cluster id"),
        ("precheck b/c/prod", "precheck", "not a cluster id"),
        ("verify", "verify", "needs a cluster"),
        ("verify a b", "verify", "more than it takes"),
        ("verify prod --json", "verify", "no option `--json`"),
        ("list everything", "list", "more than it takes"),
        ("status a b", "status", "more than it takes"),
        ("help me", "help", "no help on `me`"),
        ("migrate 'prod --bucket abc", None, "could not read the command"),
        ("plan prod-*", "plan", "more than it takes"),
        ("plan --account B/x", "plan", "`B/x` is not an account alias"),
        ("plan --region Hangzhou", "plan", "`Hangzhou` is not a region id"),
        ("plan --account", "plan", "`--account` needs a value"),
    ],
)
def test_malformed_text_is_a_usage_error_for_its_subcommand(text: str, subcommand: str | None, says: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse(text)
    assert raised.value.subcommand == subcommand
    assert says in raised.value.problem


def test_cluster_ids_are_told_apart_from_names() -> None:
    assert is_cluster_id(CLUSTER_ID)
    assert not is_cluster_id("prod-hz-1")
    assert not is_cluster_id(CLUSTER_ID.upper())


# --- properties ---------------------------------------------------------------------------------------------

_name_start = st.sampled_from("abcXYZ019生产")
_name_rest = st.text(alphabet="abcxyzABC0189_-生产集群", max_size=62)
cluster_names = st.builds(lambda a, b: a + b, _name_start, _name_rest)
bucket_names = st.from_regex(r"\A[a-z0-9][a-z0-9-]{1,61}[a-z0-9]\Z")

commands: st.SearchStrategy[Command] = st.one_of(
    st.builds(Help, st.none() | st.sampled_from(SUBCOMMANDS)),
    st.just(ListClusters()),
    st.builds(Precheck, cluster_names, st.none() | bucket_names),
    st.builds(Migrate, cluster_names, bucket_names),
    st.builds(Status, st.none() | cluster_names),
    st.builds(Cancel, cluster_names),
    st.builds(Cleanup, cluster_names, st.booleans()),
    st.builds(Verify, cluster_names),
    st.builds(Plan, st.none() | st.from_regex(r"\A[a-z0-9][a-z0-9_-]{0,31}\Z"),
              st.none() | st.sampled_from(["cn-hangzhou", "cn-beijing", "ap-southeast-1"])),
)


@given(commands)
def test_every_command_round_trips_through_its_text(command: Command) -> None:
    assert parse(render(command)) == command


@given(st.text())
def test_arbitrary_text_parses_or_raises_only_usage_error(text: str) -> None:
    try:
        command = parse(text)
    except UsageError as error:
        assert error.problem
        return
    assert parse(render(command)) == command


@given(st.lists(st.sampled_from([*SUBCOMMANDS, "--bucket", "--bucket=", "--release-ecs", "'", '"', "prod-1",
                                 "ack-b", "=", "-", "--", "Ab_c", "c" + "0" * 32]), max_size=6))
def test_command_like_word_soup_parses_or_raises_only_usage_error(words: list[str]) -> None:
    try:
        command = parse(" ".join(words))
    except UsageError as error:
        assert error.problem
        return
    assert parse(render(command)) == command


def test_text_over_the_command_limit_is_a_usage_error_before_it_is_read() -> None:
    longest = "status " + "a" * (MAX_COMMAND_TEXT - len("status "))
    with pytest.raises(UsageError, match="ackmigrate reads at most 2000"):
        parse(longest + "a")
    with pytest.raises(UsageError, match="not a cluster id"):  # at the limit it is read, and judged on its words
        parse(longest)
