"""The order a wave migrates its clusters in: lowest risk first, and why each cluster is where it is.

The first clusters of a wave are its canaries, so the order decides what a surprise can break. Keys, in
order of weight:

1. non-production before production: a name matching one of the non-production patterns
   (`ACKMIGRATE_NONPROD_PATTERNS`, default `*dev*,*test*,*staging*,*sandbox*`, case-insensitive globs)
   goes first, so a production cluster is never the canary while a dev cluster waits;
2. fewer precheck warnings (each one is a follow-up step that can go wrong);
3. fewer nodes (less to verify, less affected while the API server is away);
4. the name, then the cluster id, so the same fleet always gives the same order.

Pure: plain values in, ranked values out; each carries a `RankReason` saying which key put it ahead of
the cluster after it, for the request message to show.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase

DEFAULT_NONPROD_PATTERNS: tuple[str, ...] = ("*dev*", "*test*", "*staging*", "*sandbox*")


class Environment(StrEnum):
    NON_PRODUCTION = "non-production"
    PRODUCTION = "production"


class RankKey(StrEnum):
    """What told a cluster apart from the one ranked right after it."""

    ENVIRONMENT = "environment"
    WARNINGS = "warnings"
    NODES = "nodes"
    NAME = "name"
    LAST = "last"  # nothing comes after it


@dataclass(frozen=True)
class RiskInput:
    """What is known of a cluster when its wave is requested (from discovery and the prechecks)."""

    cluster_id: str
    name: str
    warnings: int
    nodes: int


@dataclass(frozen=True)
class RankReason:
    """Why a cluster is at `position` (1-based): its facts, and the key that put it before the next one."""

    position: int
    environment: Environment
    matched_pattern: str | None  # the non-production pattern its name matched
    warnings: int
    nodes: int
    ahead_by: RankKey


@dataclass(frozen=True)
class Ranked:
    cluster: RiskInput
    reason: RankReason


def environment_of(name: str, patterns: Sequence[str]) -> tuple[Environment, str | None]:
    """Non-production when the name matches a pattern (case-insensitive); the pattern that matched."""
    lowered = name.lower()
    for pattern in patterns:
        if fnmatchcase(lowered, pattern.lower()):
            return Environment.NON_PRODUCTION, pattern
    return Environment.PRODUCTION, None


def rank_by_risk(clusters: Iterable[RiskInput], *, nonprod_patterns: Sequence[str]) -> list[Ranked]:
    """The clusters lowest risk first, each with the reason for its place."""
    keyed = []
    for cluster in clusters:
        environment, pattern = environment_of(cluster.name, nonprod_patterns)
        key = (environment is Environment.PRODUCTION, cluster.warnings, cluster.nodes, cluster.name,
               cluster.cluster_id)
        keyed.append((key, cluster, environment, pattern))
    keyed.sort(key=lambda item: item[0])
    ranked = []
    for index, (key, cluster, environment, pattern) in enumerate(keyed):
        following = keyed[index + 1][0] if index + 1 < len(keyed) else None
        reason = RankReason(position=index + 1, environment=environment, matched_pattern=pattern,
                            warnings=cluster.warnings, nodes=cluster.nodes, ahead_by=_deciding_key(key, following))
        ranked.append(Ranked(cluster, reason))
    return ranked


def _deciding_key(key: tuple[bool, int, int, str, str], following: tuple[bool, int, int, str, str] | None) -> RankKey:
    if following is None:
        return RankKey.LAST
    for rank_key, mine, theirs in zip(
        (RankKey.ENVIRONMENT, RankKey.WARNINGS, RankKey.NODES), key[:3], following[:3], strict=True
    ):
        if mine != theirs:
            return rank_key
    return RankKey.NAME  # same name in two accounts: the id decides, which is still "by name" to a reader
