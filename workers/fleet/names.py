"""How an operator names clusters across a fleet: by id, by name, as `alias/name`, or by a glob.

- an id (`c` + 16 or more lower-case letters or digits) is that cluster, in whichever account and region;
- a name must be unique across the fleet; if two accounts (or regions) hold one, it must be qualified as
  `alias/name`, and the answer lists the candidates so the operator can copy one;
- where a command takes several clusters, a glob (`prod-*`, `b/web-?`) matches names (fnmatch, case
  sensitive as ACK names are), qualified or not.

Pure: it takes the discovered clusters and the text typed, and returns clusters or raises NamingError with
the sentence to show. No cloud call, no Slack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

_ID_RE = re.compile(r"^c[0-9a-z]{16,}$")
_GLOB_CHARS = frozenset("*?[")
_SHOWN = 10


@dataclass(frozen=True)
class FleetCluster:
    """One cluster of the fleet, as discovery found it."""

    account: str  # the alias
    region: str
    cluster_id: str
    name: str

    @property
    def qualified(self) -> str:
        return f"{self.account}/{self.name}"


class NamingError(ValueError):
    """What the operator typed names no cluster, or more than one where one is needed; str() says which."""


class NoSuchCluster(NamingError):
    pass


class AmbiguousName(NamingError):
    def __init__(self, text: str, candidates: Sequence[FleetCluster]) -> None:
        self.candidates = tuple(candidates)
        super().__init__(
            f"{len(candidates)} clusters are named {text!r}: {describe(candidates)}; "
            "qualify it as account/name or use the cluster id"
        )


def is_glob(text: str) -> bool:
    return any(ch in _GLOB_CHARS for ch in text)


def resolve_one(text: str, fleet: Sequence[FleetCluster]) -> FleetCluster:
    """The one cluster `text` names (an id, a unique name, or `alias/name`); a glob is refused here."""
    text = text.strip()
    if is_glob(text):
        raise NamingError(f"{text!r} is a pattern; this command takes one cluster (an id, a name or account/name)")
    found = _matches(text, fleet)
    if len(found) == 1:
        return found[0]
    if found:
        raise AmbiguousName(text, found)
    raise NoSuchCluster(f"no cluster {text!r} in the fleet{_nearby(text, fleet)}")


def resolve_many(patterns: Iterable[str], fleet: Sequence[FleetCluster]) -> list[FleetCluster]:
    """Every cluster the patterns name, each once, in the fleet's order. A plain name must still be unique
    (a typo must not silently pick one of two); a pattern that matches nothing is an error, not a no-op."""
    chosen: dict[str, FleetCluster] = {}
    for raw in patterns:
        text = raw.strip()
        if not text:
            continue
        found = _glob_matches(text, fleet) if is_glob(text) else [resolve_one(text, fleet)]
        if not found:
            raise NoSuchCluster(f"the pattern {text!r} matches no cluster in the fleet{_nearby(text, fleet)}")
        for cluster in found:
            chosen.setdefault(cluster.cluster_id, cluster)
    order = {c.cluster_id: i for i, c in enumerate(fleet)}
    return sorted(chosen.values(), key=lambda c: order[c.cluster_id])


def describe(clusters: Sequence[FleetCluster]) -> str:
    shown = ", ".join(f"{c.qualified} ({c.cluster_id}, {c.region})" for c in clusters[:_SHOWN])
    return shown + (f" and {len(clusters) - _SHOWN} more" if len(clusters) > _SHOWN else "")


def _matches(text: str, fleet: Sequence[FleetCluster]) -> list[FleetCluster]:
    if _ID_RE.match(text):
        by_id = [c for c in fleet if c.cluster_id == text]
        if by_id:
            return by_id
    account, slash, name = text.partition("/")
    if slash:
        return [c for c in fleet if c.account == account and c.name == name]
    return [c for c in fleet if c.name == text]


def _glob_matches(pattern: str, fleet: Sequence[FleetCluster]) -> list[FleetCluster]:
    account, slash, name = pattern.partition("/")
    if slash:
        return [c for c in fleet if fnmatchcase(c.account, account) and fnmatchcase(c.name, name)]
    return [c for c in fleet if fnmatchcase(c.name, pattern)]


def _nearby(text: str, fleet: Sequence[FleetCluster]) -> str:
    """A hint: names sharing the text's first letters, so a typo is seen at once."""
    stem = text.rpartition("/")[2].rstrip("*?[")[:3].lower()
    near = [c for c in fleet if stem and c.name.lower().startswith(stem)]
    return f"; similar: {describe(near)}" if near else ""
