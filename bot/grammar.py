"""The `/ackmigrate` command language: text in, a typed command (or a usage error) out.

Pure on purpose: no Slack payloads, no Redis. A listener hands it the text Slack sent and gets either a
command it can act on or a `UsageError` naming the subcommand whose usage the user should see, so every
malformed request is refused the same way, privately, before anything happens.

Grammar (the README's Commands table): `help` · `precheck CLUSTER [--bucket B]` · `migrate CLUSTER --bucket B` ·
`status [CLUSTER]` · `cancel CLUSTER` · `cleanup CLUSTER [--release-ecs]` · `list` · `verify CLUSTER` ·
`plan [--account A] [--region R]` · `wave create NAME --clusters P[,P…] [--account A] [--region R]
--bucket-map REGION=BUCKET[,…] [--max-parallel N] [--window SPEC]… [--canary N] [--soak D]
[--failure-budget N]` · `wave status [NAME]` · `wave pause|resume|cancel NAME` ·
`freeze [--until T] [--reason R]` · `unfreeze`. Values may be quoted; flags take `--flag value` or
`--flag=value`; `--window` may be given several times.

What can only be judged against the fleet (whether the patterns match clusters, whether there are more
clusters than canaries, whether every region of the matched clusters has a bucket) is judged when the
wave request is opened, not here.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import timedelta

from bot.limits import MAX_COMMAND_TEXT
from workers.domain.durations import DurationError, format_duration, parse_duration
from workers.domain.freeze import FreezeFor, FreezeUntil, Until, UntilError, parse_until
from workers.domain.waves import DEFAULT_CANARY, DEFAULT_FAILURE_BUDGET, DEFAULT_MAX_PARALLEL, DEFAULT_SOAK
from workers.domain.windows import WindowError, parse_window
from workers.oss_names import is_bucket_name
from workers.ui import private_answers

CLUSTER_ID_RE = re.compile(r"^c[0-9a-f]{32}$")
"""An ACK cluster id as the console and the API show it: `c` and 32 lowercase hex digits."""

_CJK = "\u4e00-\u9fff"
CLUSTER_NAME_RE = re.compile(rf"^[A-Za-z0-9{_CJK}][A-Za-z0-9_\-{_CJK}]{{0,62}}$")
"""ACK's rule for a cluster name: 1–63 letters, digits, Chinese characters, `_` and `-`, not starting with a
symbol."""

SUBCOMMANDS = ("help", "precheck", "migrate", "status", "cancel", "cleanup", "list", "verify", "plan", "wave",
               "freeze", "unfreeze")
QUALIFIABLE = ("precheck", "migrate", "verify", "cleanup")
"""The commands that find their cluster across the fleet, and so accept `account/name`."""
WAVE_ACTIONS = ("create", "status", "pause", "resume", "cancel")
_ALIAS_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")  # as workers.accounts names an account
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z0-9]+)+$")
WAVE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
"""A wave's name: it is typed in every later command and shown in every message, so short and plain."""
_CLUSTER_PATTERN_RE = re.compile(rf"^(?:[a-z0-9*?_\-\[\]]{{1,32}}/)?[A-Za-z0-9_\-*?\[\]{_CJK}]{{1,63}}$")
"""A cluster id, name, `alias/name` or glob of either (workers.fleet.names resolves them)."""
MAX_PARALLEL = 50  # a typo guard: more migrations at once than any account's operators could watch
MAX_CANARY = 50
MAX_FAILURE_BUDGET = 500
MAX_WINDOWS = 10
MAX_REASON = 300  # a freeze's reason is shown in every refusal while it lasts

_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})
"""Slack clients on macOS and phones turn typed quotes into curly ones; users meant plain quotes."""


class UsageError(Exception):
    """The text is not a valid command. `subcommand` says whose usage to show (None: the general one)."""

    def __init__(self, problem: str, *, subcommand: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.subcommand = subcommand


@dataclass(frozen=True)
class Help:
    topic: str | None = None  # `help migrate` shows one subcommand's usage


@dataclass(frozen=True)
class Precheck:
    cluster: str
    bucket: str | None = None


@dataclass(frozen=True)
class Migrate:
    cluster: str
    bucket: str


@dataclass(frozen=True)
class Status:
    cluster: str | None = None


@dataclass(frozen=True)
class Cancel:
    cluster: str


@dataclass(frozen=True)
class Cleanup:
    cluster: str
    release_ecs: bool = False


@dataclass(frozen=True)
class ListClusters:
    pass


@dataclass(frozen=True)
class Verify:
    cluster: str


@dataclass(frozen=True)
class Plan:
    """The fleet's readiness: every configured account and region, or the one named."""

    account: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class WaveCreate:
    """A wave request: the clusters the patterns name, migrated in risk order under these limits."""

    name: str
    clusters: tuple[str, ...]  # patterns as typed (ids, names, alias/name, globs), duplicates dropped
    bucket_map: tuple[tuple[str, str], ...]  # (region, bucket), in the order typed
    account: str | None = None
    region: str | None = None
    max_parallel: int = DEFAULT_MAX_PARALLEL
    windows: tuple[str, ...] = ()  # canonical window specs (workers.domain.windows)
    canary: int = DEFAULT_CANARY
    soak: timedelta = DEFAULT_SOAK
    failure_budget: int = DEFAULT_FAILURE_BUDGET


@dataclass(frozen=True)
class WaveStatus:
    name: str | None = None  # None: every wave


@dataclass(frozen=True)
class WavePause:
    name: str


@dataclass(frozen=True)
class WaveResume:
    name: str


@dataclass(frozen=True)
class WaveCancel:
    """Stop the wave's starts; migrations already running continue and are followed."""

    name: str


@dataclass(frozen=True)
class Freeze:
    """Stop every new start, single migrations and waves alike, until `until` or an `unfreeze`."""

    until: Until | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Unfreeze:
    pass


WaveCommand = WaveCreate | WaveStatus | WavePause | WaveResume | WaveCancel

Command = (Help | Precheck | Migrate | Status | Cancel | Cleanup | ListClusters | Verify | Plan | WaveCreate
           | WaveStatus | WavePause | WaveResume | WaveCancel | Freeze | Unfreeze)


@dataclass(frozen=True)
class _Shape:
    """What a subcommand accepts: how many positional words, and which flags (True: takes a value)."""

    positional_min: int
    positional_max: int
    flags: dict[str, bool]
    repeatable: frozenset[str] = field(default_factory=frozenset)  # flags that may be given several times


_SHAPES: dict[str, _Shape] = {
    "help": _Shape(0, 1, {}),
    "precheck": _Shape(1, 1, {"bucket": True}),
    "migrate": _Shape(1, 1, {"bucket": True}),
    "status": _Shape(0, 1, {}),
    "cancel": _Shape(1, 1, {}),
    "cleanup": _Shape(1, 1, {"release-ecs": False}),
    "list": _Shape(0, 0, {}),
    "verify": _Shape(1, 1, {}),
    "plan": _Shape(0, 0, {"account": True, "region": True}),
    # `wave ACTION [NAME]`: which flags an action takes is checked in _wave (only `create` takes any).
    "wave": _Shape(0, 2, {"clusters": True, "account": True, "region": True, "bucket-map": True,
                          "max-parallel": True, "window": True, "canary": True, "soak": True,
                          "failure-budget": True}, repeatable=frozenset({"window"})),
    "freeze": _Shape(0, 0, {"until": True, "reason": True}),
    "unfreeze": _Shape(0, 0, {}),
}


def is_cluster_id(ref: str) -> bool:
    return CLUSTER_ID_RE.match(ref) is not None


def parse(text: str) -> Command:
    """Turn the text after `/ackmigrate` into a command; raise UsageError for anything else."""
    if len(text) > MAX_COMMAND_TEXT:
        raise UsageError(private_answers.command_too_long(len(text), MAX_COMMAND_TEXT))
    words = _split(text)
    if not words:
        return Help()
    name, rest = words[0].lower(), words[1:]
    shape = _SHAPES.get(name)
    if shape is None:
        raise UsageError(private_answers.not_a_command(name))
    positional, flags, repeated = _arguments(name, shape, rest)
    if name == "wave":
        return _wave(positional, flags, repeated)
    return _build(name, positional, flags)


def render(command: Command) -> str:
    """The canonical text for a command; `parse(render(c)) == c` (used in tests and in audit entries)."""
    match command:
        case Help(topic=topic):
            return _join("help", *((topic,) if topic else ()))
        case ListClusters():
            return "list"
        case Plan(account=account, region=region):
            return _join("plan", *(("--account", account) if account else ()),
                         *(("--region", region) if region else ()))
        case Precheck(cluster=cluster, bucket=bucket):
            return _join("precheck", cluster, *(("--bucket", bucket) if bucket else ()))
        case Migrate(cluster=cluster, bucket=bucket):
            return _join("migrate", cluster, "--bucket", bucket)
        case Status(cluster=cluster):
            return _join("status", *((cluster,) if cluster else ()))
        case Cancel(cluster=cluster):
            return _join("cancel", cluster)
        case Verify(cluster=cluster):
            return _join("verify", cluster)
        case Cleanup(cluster=cluster, release_ecs=release_ecs):
            return _join("cleanup", cluster, *(("--release-ecs",) if release_ecs else ()))
        case WaveCreate():
            return _render_wave_create(command)
        case WaveStatus(name=name):
            return _join("wave", "status", *((name,) if name else ()))
        case WavePause(name=name):
            return _join("wave", "pause", name)
        case WaveResume(name=name):
            return _join("wave", "resume", name)
        case WaveCancel(name=name):
            return _join("wave", "cancel", name)
        case Freeze(until=until, reason=reason):
            return _join("freeze", *(("--until", _render_until(until)) if until else ()),
                         *(("--reason", reason) if reason else ()))
        case Unfreeze():
            return "unfreeze"
    raise AssertionError(f"unknown command {command!r}")  # the match above covers the Command union


def subcommand_of(command: Command) -> str:
    """The subcommand's name, for metrics labels and audit entries."""
    if isinstance(command, ListClusters):
        return "list"
    if isinstance(command, WaveCreate | WaveStatus | WavePause | WaveResume | WaveCancel):
        return "wave"
    return type(command).__name__.lower()


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text.translate(_SMART_QUOTES), posix=True)
    except ValueError as error:  # shlex's only complaint: an unclosed quote or a trailing backslash
        raise UsageError(private_answers.unreadable_command(error)) from None


def _arguments(
    name: str, shape: _Shape, words: list[str]
) -> tuple[list[str], dict[str, str | bool], dict[str, list[str]]]:
    positional: list[str] = []
    flags: dict[str, str | bool] = {}
    repeated: dict[str, list[str]] = {}
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if not word.startswith("-") or word == "-":
            positional.append(word)
            continue
        flag, has_inline, inline = word[2:].partition("=")
        if not word.startswith("--") or flag not in shape.flags:
            raise UsageError(private_answers.no_such_option(name, word.partition("=")[0]), subcommand=name)
        if flag in flags and flag not in shape.repeatable:
            raise UsageError(private_answers.option_twice(flag), subcommand=name)
        if not shape.flags[flag]:
            if has_inline:
                raise UsageError(private_answers.option_takes_no_value(flag), subcommand=name)
            flags[flag] = True
            continue
        if has_inline:
            value = inline
        elif index < len(words) and not words[index].startswith("--"):
            value = words[index]
            index += 1
        else:
            raise UsageError(private_answers.option_needs_value(flag), subcommand=name)
        flags[flag] = value
        repeated.setdefault(flag, []).append(value)
    if len(positional) < shape.positional_min:
        raise UsageError(private_answers.needs_a_cluster(name), subcommand=name)
    if len(positional) > shape.positional_max:
        extra = " ".join(positional[shape.positional_max :])
        raise UsageError(private_answers.too_many_words(name, extra), subcommand=name)
    return positional, flags, repeated


def _build(name: str, positional: list[str], flags: dict[str, str | bool]) -> Command:
    if name == "help":
        return _help(positional)
    if name == "list":
        return ListClusters()
    if name == "plan":
        return _plan(flags)
    if name == "freeze":
        return _freeze(flags)
    if name == "unfreeze":
        return Unfreeze()
    cluster = _cluster(name, positional[0]) if positional else None
    if name == "status":
        return Status(cluster)
    assert cluster is not None  # every other subcommand's shape requires exactly one positional word
    if name == "precheck":
        bucket = flags.get("bucket")
        return Precheck(cluster, _bucket(name, str(bucket)) if bucket is not None else None)
    if name == "migrate":
        bucket = flags.get("bucket")
        if bucket is None:
            raise UsageError(private_answers.MIGRATE_NEEDS_BUCKET, subcommand=name)
        return Migrate(cluster, _bucket(name, str(bucket)))
    if name == "cancel":
        return Cancel(cluster)
    if name == "verify":
        return Verify(cluster)
    return Cleanup(cluster, release_ecs=bool(flags.get("release-ecs", False)))


def _plan(flags: dict[str, str | bool]) -> Plan:
    return Plan(_account(flags.get("account"), "plan"), _region(flags.get("region"), "plan"))


def _account(value: str | bool | None, subcommand: str) -> str | None:
    if value is None:
        return None
    if not _ALIAS_RE.match(str(value)):
        raise UsageError(private_answers.not_an_account_alias(str(value)), subcommand=subcommand)
    return str(value)


def _region(value: str | bool | None, subcommand: str) -> str | None:
    if value is None:
        return None
    if not _REGION_RE.match(str(value)):
        raise UsageError(private_answers.not_a_region(str(value)), subcommand=subcommand)
    return str(value)


def _wave(positional: list[str], flags: dict[str, str | bool], repeated: dict[str, list[str]]) -> Command:
    if not positional:
        raise UsageError(private_answers.wave_needs_an_action(WAVE_ACTIONS), subcommand="wave")
    action = positional[0].lower()
    if action not in WAVE_ACTIONS:
        raise UsageError(private_answers.not_a_wave_action(positional[0], WAVE_ACTIONS), subcommand="wave")
    name = _wave_name(positional[1]) if len(positional) > 1 else None
    if action != "create" and flags:
        raise UsageError(private_answers.wave_action_takes_no_options(action, next(iter(flags))), subcommand="wave")
    if action == "status":
        return WaveStatus(name)
    if name is None:
        raise UsageError(private_answers.wave_action_needs_a_name(action), subcommand="wave")
    if action == "pause":
        return WavePause(name)
    if action == "resume":
        return WaveResume(name)
    if action == "cancel":
        return WaveCancel(name)
    return _wave_create(name, flags, repeated)


def _wave_create(name: str, flags: dict[str, str | bool], repeated: dict[str, list[str]]) -> WaveCreate:
    clusters = flags.get("clusters")
    if clusters is None:
        raise UsageError(private_answers.WAVE_NEEDS_CLUSTERS, subcommand="wave")
    bucket_map = flags.get("bucket-map")
    if bucket_map is None:
        raise UsageError(private_answers.WAVE_NEEDS_BUCKET_MAP, subcommand="wave")
    account, region = _account(flags.get("account"), "wave"), _region(flags.get("region"), "wave")
    buckets = _bucket_map(str(bucket_map))
    if region is not None and region not in dict(buckets):
        raise UsageError(private_answers.region_without_bucket(region), subcommand="wave")
    windows = repeated.get("window", [])
    if len(windows) > MAX_WINDOWS:
        raise UsageError(private_answers.too_many_windows(len(windows), MAX_WINDOWS), subcommand="wave")
    return WaveCreate(
        name=name, clusters=_cluster_patterns(str(clusters)), bucket_map=buckets, account=account, region=region,
        max_parallel=_whole(flags, "max-parallel", DEFAULT_MAX_PARALLEL, minimum=1, maximum=MAX_PARALLEL),
        windows=tuple(dict.fromkeys(_window(spec) for spec in windows)),
        canary=_whole(flags, "canary", DEFAULT_CANARY, minimum=0, maximum=MAX_CANARY),
        soak=_duration(flags, "soak", DEFAULT_SOAK),
        failure_budget=_whole(flags, "failure-budget", DEFAULT_FAILURE_BUDGET, minimum=0,
                              maximum=MAX_FAILURE_BUDGET),
    )


def _wave_name(text: str) -> str:
    if WAVE_NAME_RE.match(text):
        return text
    raise UsageError(private_answers.not_a_wave_name(text), subcommand="wave")


def _cluster_patterns(text: str) -> tuple[str, ...]:
    patterns = [part.strip() for part in text.split(",") if part.strip()]
    if not patterns:
        raise UsageError(private_answers.CLUSTERS_NAME_NONE, subcommand="wave")
    for pattern in patterns:
        if not _CLUSTER_PATTERN_RE.match(pattern):
            raise UsageError(private_answers.not_a_cluster_pattern(pattern), subcommand="wave")
    return tuple(dict.fromkeys(patterns))


def _bucket_map(text: str) -> tuple[tuple[str, str], ...]:
    pairs: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        region, equals, bucket = part.partition("=")
        region, bucket = region.strip(), bucket.strip()
        if not equals or not region or not bucket:
            raise UsageError(private_answers.not_a_bucket_pair(part), subcommand="wave")
        if not _REGION_RE.match(region):
            raise UsageError(private_answers.bucket_map_region_unreadable(region), subcommand="wave")
        if region in pairs:
            raise UsageError(private_answers.bucket_map_region_twice(region), subcommand="wave")
        pairs[region] = _bucket("wave", bucket)
    return tuple(pairs.items())


def _window(spec: str) -> str:
    try:
        return parse_window(spec).spec
    except WindowError as error:
        raise UsageError(private_answers.bad_option_value("window", error), subcommand="wave") from None


def _whole(flags: dict[str, str | bool], flag: str, default: int, *, minimum: int, maximum: int) -> int:
    value = flags.get(flag)
    if value is None:
        return default
    text = str(value).strip()
    if not text.isdigit() or not minimum <= int(text) <= maximum:
        raise UsageError(private_answers.not_a_whole_number_in(flag, value, minimum, maximum), subcommand="wave")
    return int(text)


def _duration(flags: dict[str, str | bool], flag: str, default: timedelta) -> timedelta:
    value = flags.get(flag)
    if value is None:
        return default
    try:
        return parse_duration(str(value))
    except DurationError as error:
        raise UsageError(private_answers.bad_option_value(flag, error), subcommand="wave") from None


def _freeze(flags: dict[str, str | bool]) -> Freeze:
    until_text, reason = flags.get("until"), flags.get("reason")
    until: Until | None = None
    if until_text is not None:
        try:
            until = parse_until(str(until_text))
        except UntilError as error:
            raise UsageError(private_answers.bad_option_value("until", error), subcommand="freeze") from None
        if isinstance(until, FreezeFor) and until.span <= timedelta(0):
            raise UsageError(private_answers.FREEZE_UNTIL_NOT_LATER, subcommand="freeze")
    if reason is not None:
        reason = " ".join(str(reason).split())
        if not reason:
            raise UsageError(private_answers.FREEZE_REASON_EMPTY, subcommand="freeze")
        if len(reason) > MAX_REASON:
            raise UsageError(private_answers.freeze_reason_too_long(len(reason), MAX_REASON), subcommand="freeze")
    return Freeze(until=until, reason=reason)


def _render_wave_create(command: WaveCreate) -> str:
    words = ["wave", "create", command.name, "--clusters", ",".join(command.clusters)]
    if command.account:
        words += ["--account", command.account]
    if command.region:
        words += ["--region", command.region]
    words += ["--bucket-map", ",".join(f"{region}={bucket}" for region, bucket in command.bucket_map)]
    words += ["--max-parallel", str(command.max_parallel)]
    for window in command.windows:
        words += ["--window", window]
    words += ["--canary", str(command.canary), "--soak", format_duration(command.soak),
              "--failure-budget", str(command.failure_budget)]
    return _join(*words)


def _render_until(until: Until) -> str:
    if isinstance(until, FreezeUntil):
        return until.at.isoformat()
    return format_duration(until.span)


def _help(positional: list[str]) -> Help:
    if not positional:
        return Help()
    topic = positional[0].lower()
    if topic not in SUBCOMMANDS:
        raise UsageError(private_answers.no_help_on(positional[0]), subcommand="help")
    return Help(topic)


def _cluster(name: str, ref: str) -> str:
    if CLUSTER_NAME_RE.match(ref):  # every cluster id is also a well-formed name
        return ref
    alias, slash, cluster_name = ref.partition("/")
    if slash and name in QUALIFIABLE and _ALIAS_RE.match(alias) and CLUSTER_NAME_RE.match(cluster_name):
        return ref  # `account/name`: a name qualified by the account that holds it (workers.fleet.locate)
    raise UsageError(private_answers.not_a_cluster_ref(ref), subcommand=name)


def _bucket(name: str, bucket: str) -> str:
    if is_bucket_name(bucket):
        return bucket
    raise UsageError(private_answers.not_a_bucket_name(bucket), subcommand=name)


def _join(*words: str) -> str:
    return " ".join(shlex.quote(word) for word in words)
