"""Why a `wave create` cannot become a wave: each reason a type, worded for the requester in
workers.ui.wave_answers (`not_opened`), so the words live with every other text people read in Slack.

Nothing is created for any of them; the requester alone is told, with what to change.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PatternsUnresolved:
    """A pattern matches no cluster, or a name is in two accounts: the naming rule's own answer."""

    detail: str


@dataclass(frozen=True)
class TooManyClusters:
    named: int
    limit: int


@dataclass(frozen=True)
class NoBucketFor:
    """Regions of the clusters to migrate that --bucket-map names no bucket for."""

    regions: tuple[str, ...]


@dataclass(frozen=True)
class AllBlocked:
    count: int


@dataclass(frozen=True)
class CanaryTooLarge:
    canary: int
    ready: int


@dataclass(frozen=True)
class FleetUnlisted:
    """Discovery failed (a place that could not be listed, a scope naming nothing configured)."""

    detail: str


@dataclass(frozen=True)
class NameTaken:
    name: str


WaveProblem = PatternsUnresolved | TooManyClusters | NoBucketFor | AllBlocked | CanaryTooLarge | FleetUnlisted | NameTaken
