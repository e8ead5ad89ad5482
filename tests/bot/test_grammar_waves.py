"""The fleet's commands in the `/ackmigrate` grammar: `wave …`, `freeze`, `unfreeze` — every documented
form parses to its dataclass, every mistake is a UsageError naming what is wrong and whose usage to show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.grammar import (
    Command,
    Freeze,
    Unfreeze,
    UsageError,
    WaveCancel,
    WaveCreate,
    WavePause,
    WaveResume,
    WaveStatus,
    parse,
    render,
    subcommand_of,
)
from workers.domain.freeze import FreezeFor, FreezeUntil

CREATE = "wave create q1-batch --clusters 'prod-*' --bucket-map cn-hangzhou=ack-hz"


def test_a_minimal_wave_create_takes_the_documented_defaults() -> None:
    assert parse(CREATE) == WaveCreate(
        name="q1-batch", clusters=("prod-*",), bucket_map=(("cn-hangzhou", "ack-hz"),), account=None,
        region=None, max_parallel=1, windows=(), canary=1, soak=timedelta(minutes=30), failure_budget=0,
    )


def test_every_wave_create_option() -> None:
    command = parse(
        "wave create q1 --clusters 'web-*,b/api-?,c0123456789abcdef0123,web-*' --account b --region cn-beijing "
        "--bucket-map cn-hangzhou=ack-hz,cn-beijing=ack-bj --max-parallel 3 "
        "--window 'Sat 02:00-06:00 Asia/Shanghai' --window='mon-fri 22:00-02:00 UTC' --canary 2 --soak 1h30m "
        "--failure-budget 1"
    )
    assert command == WaveCreate(
        name="q1", clusters=("web-*", "b/api-?", "c0123456789abcdef0123"),
        bucket_map=(("cn-hangzhou", "ack-hz"), ("cn-beijing", "ack-bj")), account="b", region="cn-beijing",
        max_parallel=3, windows=("Sat 02:00-06:00 Asia/Shanghai", "Mon-Fri 22:00-02:00 UTC"), canary=2,
        soak=timedelta(minutes=90), failure_budget=1,
    )
    assert subcommand_of(command) == "wave"


def test_no_canary_and_no_soak_can_be_asked_for() -> None:
    command = parse(CREATE + " --canary 0 --soak 0s")
    assert isinstance(command, WaveCreate) and (command.canary, command.soak) == (0, timedelta(0))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wave status", WaveStatus()),
        ("wave status q1", WaveStatus("q1")),
        ("wave pause q1", WavePause("q1")),
        ("WAVE Resume q1", WaveResume("q1")),
        ("wave cancel q1", WaveCancel("q1")),
        ("freeze", Freeze()),
        ("freeze --until 2h --reason 'payments incident'", Freeze(FreezeFor(timedelta(hours=2)), "payments incident")),
        ("freeze --until 2026-12-05T18:00+08:00",
         Freeze(FreezeUntil(datetime(2026, 12, 5, 10, 0, tzinfo=UTC)))),
        ("freeze --reason '  two   spaces '", Freeze(reason="two spaces")),
        ("unfreeze", Unfreeze()),
    ],
)
def test_the_other_fleet_commands(text: str, expected: Command) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "says", "subcommand"),
    [
        ("wave", "`wave` needs an action: create, status, pause, resume, cancel", "wave"),
        ("wave start q1", "`wave start` is not a wave action", "wave"),
        ("wave pause", "`wave pause` needs the wave's name", "wave"),
        ("wave create", "`wave create` needs the wave's name", "wave"),
        ("wave pause Q1!", "`Q1!` is not a wave name", "wave"),
        ("wave pause q1 --soak 1h", "`wave pause` takes no options (`--soak`)", "wave"),
        ("wave pause q1 q2", "got more than it takes: `q2`", "wave"),
        ("wave create q1 --bucket-map cn-hangzhou=ack-hz", "needs `--clusters P[,P…]`", "wave"),
        ("wave create q1 --clusters 'prod-*'", "needs `--bucket-map REGION=BUCKET[,…]`", "wave"),
        ("wave create q1 --clusters , --bucket-map cn-hangzhou=ack-hz", "`--clusters` names no cluster", "wave"),
        ("wave create q1 --clusters 'prod;rm' --bucket-map cn-hangzhou=ack-hz", "`prod;rm` is not a cluster id",
         "wave"),
        (CREATE.replace("cn-hangzhou=ack-hz", "cn-hangzhou"), "`cn-hangzhou` in `--bucket-map` is not REGION=BUCKET",
         "wave"),
        (CREATE.replace("cn-hangzhou=ack-hz", "hangzhou=ack-hz"), "`hangzhou` in `--bucket-map` is not a region id",
         "wave"),
        (CREATE.replace("ack-hz", "Ack_HZ"), "`Ack_HZ` is not a valid bucket name", "wave"),
        (CREATE.replace("ack-hz", "ack-hz,cn-hangzhou=b2"), "`--bucket-map` names cn-hangzhou twice", "wave"),
        (CREATE + " --region cn-beijing", "`--region cn-beijing` has no bucket in `--bucket-map`", "wave"),
        (CREATE + " --account B!", "`B!` is not an account alias", "wave"),
        (CREATE + " --max-parallel 0", "`--max-parallel` must be a whole number from 1 to 50 (got `0`)", "wave"),
        (CREATE + " --max-parallel two", "`--max-parallel` must be a whole number from 1 to 50", "wave"),
        (CREATE + " --max-parallel 51", "from 1 to 50", "wave"),
        (CREATE + " --canary -1", "`--canary` must be a whole number from 0 to 50 (got `-1`)", "wave"),
        (CREATE + " --canary 1.5", "`--canary` must be a whole number from 0 to 50", "wave"),
        (CREATE + " --failure-budget x", "`--failure-budget` must be a whole number from 0 to 500", "wave"),
        (CREATE + " --soak 10", "`--soak`: `10` is not a duration", "wave"),
        (CREATE + " --soak 30m1h", "largest first", "wave"),
        (CREATE + " --window 'Sta 02:00-06:00 UTC'", "`--window`: `Sta` in `Sta` is not a day", "wave"),
        (CREATE + " --window 'Sat 02:00-06:00 Mars/Base'", "`Mars/Base` is not a time zone", "wave"),
        (CREATE + " --window 'Sat 02:00-02:00 UTC'", "starts and ends at the same time", "wave"),
        (CREATE + " --window Sat", "`--window`: `Sat` is not a window", "wave"),
        (CREATE + " --canary 1 --canary 2", "`--canary` is given twice", "wave"),
        (CREATE + "".join(f" --window 'daily 0{i}:00-0{i}:30 UTC'" for i in range(10)) + " --window 'Sat 11:00-12:00 UTC'",
         "at most 10 `--window`s", "wave"),
        ("freeze --until tomorrow", "`--until`: `tomorrow` is neither a duration", "freeze"),
        ("freeze --until 2026-12-05T18:00", "has no time zone", "freeze"),
        ("freeze --until 0s", "later than now", "freeze"),
        ("freeze --reason ' '", "`--reason` is empty", "freeze"),
        ("freeze --reason " + "x" * 301, "`--reason` is 301 characters", "freeze"),
        ("freeze now", "got more than it takes: `now`", "freeze"),
        ("unfreeze --reason done", "`unfreeze` has no option `--reason`", "unfreeze"),
    ],
)
def test_a_mistake_says_what_is_wrong_and_whose_usage_to_show(text: str, says: str, subcommand: str) -> None:
    with pytest.raises(UsageError) as refused:
        parse(text)
    assert says in refused.value.problem
    assert refused.value.subcommand == subcommand


def test_the_same_window_twice_is_kept_once() -> None:
    command = parse(CREATE + " --window 'Sat 02:00-06:00 UTC' --window 'saturday 02:00-06:00 UTC'")
    assert isinstance(command, WaveCreate) and command.windows == ("Sat 02:00-06:00 UTC",)


# --- properties ---------------------------------------------------------------------------------------------

_names = st.from_regex(r"\A[a-z0-9][a-z0-9_-]{0,39}\Z")
_patterns = st.lists(st.from_regex(r"\A(?:[a-z0-9]{1,8}/)?[A-Za-z0-9][A-Za-z0-9_*?-]{0,20}\Z"), min_size=1,
                     max_size=4, unique=True)
_buckets = st.lists(st.tuples(st.sampled_from(["cn-hangzhou", "cn-beijing", "ap-southeast-1"]),
                              st.from_regex(r"\A[a-z0-9][a-z0-9-]{1,20}[a-z0-9]\Z")),
                    min_size=1, max_size=3, unique_by=lambda pair: pair[0])
_windows = st.lists(st.sampled_from(["Sat 02:00-06:00 Asia/Shanghai", "Mon-Fri 22:00-02:00 UTC",
                                     "daily 00:00-24:00 Europe/Berlin"]), max_size=3, unique=True)

wave_commands: st.SearchStrategy[Command] = st.one_of(
    st.builds(WaveCreate, name=_names, clusters=_patterns.map(tuple), bucket_map=_buckets.map(tuple),
              account=st.none() | st.sampled_from(["main", "b"]), region=st.none(),
              max_parallel=st.integers(1, 50), windows=_windows.map(tuple), canary=st.integers(0, 50),
              soak=st.integers(0, 86_400).map(lambda s: timedelta(seconds=s)), failure_budget=st.integers(0, 500)),
    st.builds(WaveStatus, st.none() | _names),
    st.builds(WavePause, _names), st.builds(WaveResume, _names), st.builds(WaveCancel, _names),
    st.builds(Freeze, st.none() | st.integers(1, 86_400).map(lambda s: FreezeFor(timedelta(seconds=s))),
              st.none() | st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=40)),
    st.just(Unfreeze()),
)


@given(wave_commands)
def test_every_fleet_command_round_trips_through_its_text(command: Command) -> None:
    assert parse(render(command)) == command
