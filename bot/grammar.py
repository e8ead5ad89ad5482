"""The `/ackmigrate` command language: text in, a typed command (or a usage error) out.

Pure on purpose: no Slack payloads, no Redis. A listener hands it the text Slack sent and gets either a
command it can act on or a `UsageError` naming the subcommand whose usage the user should see, so every
malformed request is refused the same way, privately, before anything happens.

Grammar (the README's Commands table): `help` · `precheck CLUSTER [--bucket B]` · `migrate CLUSTER --bucket B` ·
`status [CLUSTER]` · `cancel CLUSTER` · `cleanup CLUSTER [--release-ecs]` · `list` · `verify CLUSTER` ·
`plan [--account A] [--region R]`. Values may be quoted;
flags take `--flag value` or `--flag=value`.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from bot.limits import MAX_COMMAND_TEXT
from workers.oss_names import is_bucket_name
from workers.ui import private_answers

CLUSTER_ID_RE = re.compile(r"^c[0-9a-f]{32}$")
"""An ACK cluster id as the console and the API show it: `c` and 32 lowercase hex digits."""

_CJK = "\u4e00-\u9fff"
CLUSTER_NAME_RE = re.compile(rf"^[A-Za-z0-9{_CJK}][A-Za-z0-9_\-{_CJK}]{{0,62}}$")
"""ACK's rule for a cluster name: 1–63 letters, digits, Chinese characters, `_` and `-`, not starting with a
symbol."""

SUBCOMMANDS = ("help", "precheck", "migrate", "status", "cancel", "cleanup", "list", "verify", "plan")
_ALIAS_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")  # as workers.accounts names an account
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z0-9]+)+$")

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


Command = Help | Precheck | Migrate | Status | Cancel | Cleanup | ListClusters | Verify | Plan


@dataclass(frozen=True)
class _Shape:
    """What a subcommand accepts: how many positional words, and which flags (True: takes a value)."""

    positional_min: int
    positional_max: int
    flags: dict[str, bool]


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
    positional, flags = _arguments(name, shape, rest)
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
    raise AssertionError(f"unknown command {command!r}")  # the match above covers the Command union


def subcommand_of(command: Command) -> str:
    """The subcommand's name, for metrics labels and audit entries."""
    return "list" if isinstance(command, ListClusters) else type(command).__name__.lower()


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text.translate(_SMART_QUOTES), posix=True)
    except ValueError as error:  # shlex's only complaint: an unclosed quote or a trailing backslash
        raise UsageError(private_answers.unreadable_command(error)) from None


def _arguments(name: str, shape: _Shape, words: list[str]) -> tuple[list[str], dict[str, str | bool]]:
    positional: list[str] = []
    flags: dict[str, str | bool] = {}
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
        if flag in flags:
            raise UsageError(private_answers.option_twice(flag), subcommand=name)
        if not shape.flags[flag]:
            if has_inline:
                raise UsageError(private_answers.option_takes_no_value(flag), subcommand=name)
            flags[flag] = True
            continue
        if has_inline:
            flags[flag] = inline
        elif index < len(words) and not words[index].startswith("--"):
            flags[flag] = words[index]
            index += 1
        else:
            raise UsageError(private_answers.option_needs_value(flag), subcommand=name)
    if len(positional) < shape.positional_min:
        raise UsageError(private_answers.needs_a_cluster(name), subcommand=name)
    if len(positional) > shape.positional_max:
        extra = " ".join(positional[shape.positional_max :])
        raise UsageError(private_answers.too_many_words(name, extra), subcommand=name)
    return positional, flags


def _build(name: str, positional: list[str], flags: dict[str, str | bool]) -> Command:
    if name == "help":
        return _help(positional)
    if name == "list":
        return ListClusters()
    if name == "plan":
        return _plan(flags)
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
    account, region = flags.get("account"), flags.get("region")
    if account is not None and not _ALIAS_RE.match(str(account)):
        raise UsageError(private_answers.not_an_account_alias(str(account)), subcommand="plan")
    if region is not None and not _REGION_RE.match(str(region)):
        raise UsageError(private_answers.not_a_region(str(region)), subcommand="plan")
    return Plan(str(account) if account is not None else None, str(region) if region is not None else None)


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
    raise UsageError(private_answers.not_a_cluster_ref(ref), subcommand=name)


def _bucket(name: str, bucket: str) -> str:
    if is_bucket_name(bucket):
        return bucket
    raise UsageError(private_answers.not_a_bucket_name(bucket), subcommand=name)


def _join(*words: str) -> str:
    return " ".join(shlex.quote(word) for word in words)
