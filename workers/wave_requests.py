"""Opening a wave request: resolve the patterns across the fleet, precheck, rank, check buckets, save, post.

The job behind `/ackmigrate wave create`. Discovery and the prechecks are the plan's (`workers.fleet.plan`:
every (account, region) listed, the prechecks bounded per place by ACKMIGRATE_CLOUD_CONCURRENCY); the
order is the wave domain's (`compose_clusters`: ready ones by risk, blocked ones skipped with their
blocker). What is wrong with the request as a whole (a pattern matching nothing, a name in two accounts,
too many clusters, a region of the clusters to migrate without a bucket in --bucket-map, more canaries
than clusters) is told privately to the requester and nothing is created.

Prechecking hundreds of clusters takes minutes, so the requester's "Composing wave …" answer is replaced as
the prechecks pass a quarter, a half and three quarters of the clusters (`ComposingNotes`).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from workers import wave_news
from workers.accounts import Account
from workers.checks.model import Outcome
from workers.checks.place_facts import PlaceFacts
from workers.checks.runner import run_prechecks
from workers.cloud.models import ClusterSummary
from workers.context import Context
from workers.domain.wave_problems import (
    AllBlocked,
    CanaryTooLarge,
    FleetUnlisted,
    NameTaken,
    NoBucketFor,
    PatternsUnresolved,
    TooManyClusters,
    WaveProblem,
)
from workers.domain.waves import (
    Blocker,
    Candidate,
    Wave,
    WaveState,
    compose_clusters,
    regions_without_bucket,
)
from workers.domain.workflows import WAVE
from workers.errors import CloudError
from workers.fleet.names import FleetCluster, NamingError, resolve_many
from workers.fleet.plan import DEDICATED, DiscoveryFailed, discover, precheck_each
from workers.fleet.scope import Scope, ScopeError
from workers.lifecycle import Lifecycle
from workers.requests import tell_privately
from workers.slack import SlackError
from workers.ui import wave_answers
from workers.wave_store import WaveExists

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WaveAsk:
    """What `wave create` asked for, as the job receives it (plain values: RQ pickles them)."""

    name: str
    requester: str
    channel: str
    patterns: tuple[str, ...]
    bucket_map: dict[str, str]
    account: str | None = None
    region: str | None = None
    max_parallel: int = 1
    windows: tuple[str, ...] = ()
    canary: int = 1
    soak_s: float = 1800.0
    failure_budget: int = 0
    response_url: str | None = None


class WaveNotOpened(Exception):
    """The request cannot become a wave (nothing was created); `problem` says why, worded by
    workers.ui.wave_answers.not_opened for the requester."""

    def __init__(self, problem: WaveProblem) -> None:
        self.problem = problem
        super().__init__(repr(problem))


def open_wave_request(ctx: Context, ask: WaveAsk) -> Wave | None:
    """Compose, save and post the wave request; None (after telling the requester why) when it cannot be."""
    existing = ctx.waves.find(ask.name)
    if existing is not None and existing.requester == ask.requester and existing.channel == ask.channel:
        log.warning("wave %s was already opened (%s); not opening it again", ask.name, existing.state)
        return None  # a retried job whose first run saved the wave
    try:
        wave = Lifecycle.of(ctx).create_wave(compose_wave(ctx, ask), actor=ask.requester)
    except (WaveNotOpened, WaveExists) as error:
        problem = error.problem if isinstance(error, WaveNotOpened) else NameTaken(error.name)
        Lifecycle.of(ctx).refused(actor=ask.requester, action="wave_create", reason=type(problem).__name__,
                                  command=f"{WAVE.command} create {ask.name}")
        tell_privately(ctx, ask.channel, ask.requester, ask.response_url, wave_answers.not_opened(problem))
        return None
    wave_news.request_posted(ctx, wave, response_url=ask.response_url)
    return wave


def compose_wave(ctx: Context, ask: WaveAsk) -> Wave:
    """The wave as it will be asked for (awaiting approval), or WaveNotOpened saying what is wrong."""
    fleet = _fleet(ctx, Scope(ask.account, ask.region))
    try:
        chosen = resolve_many(ask.patterns, [cluster for cluster, _ in fleet])
    except NamingError as error:
        raise WaveNotOpened(PatternsUnresolved(str(error))) from None
    if len(chosen) > WAVE.max_clusters:
        raise WaveNotOpened(TooManyClusters(len(chosen), WAVE.max_clusters))
    by_id = {cluster.cluster_id: item for cluster, item in fleet}
    notes = ComposingNotes(len(chosen), lambda checked: _say_composing(ctx, ask, checked, len(chosen)))
    candidates = precheck_each(ctx.fleet, [by_id[c.cluster_id] for c in chosen],
                               lambda item, facts, pool: _candidate(ctx, ask, *item, facts, pool), notes.checked)
    clusters = compose_clusters(candidates, nonprod_patterns=ctx.settings.nonprod_patterns)
    missing = regions_without_bucket(clusters, ask.bucket_map)
    if missing:
        raise WaveNotOpened(NoBucketFor(tuple(missing)))
    ready = [c for c in clusters if c.blocker is None]
    if not ready:
        raise WaveNotOpened(AllBlocked(len(clusters)))
    if ask.canary > len(ready):
        raise WaveNotOpened(CanaryTooLarge(ask.canary, len(ready)))
    now = time.time()
    return Wave(
        name=ask.name, requester=ask.requester, channel=ask.channel, clusters=clusters,
        bucket_map=dict(ask.bucket_map), max_parallel=ask.max_parallel, windows=ask.windows, canary=ask.canary,
        soak_s=ask.soak_s, failure_budget=ask.failure_budget,
        approvals_required=WAVE.approvals_required(ctx.settings), state=WaveState.AWAITING_APPROVAL,
        patterns=ask.patterns, account=ask.account, region=ask.region, created_at=now,
        expires_at=now + ctx.settings.approval_ttl_s,
    )


def _fleet(ctx: Context, scope: Scope) -> list[tuple[FleetCluster, tuple[Account, str, ClusterSummary]]]:
    """Every dedicated cluster in scope, named as the patterns name them."""
    try:
        found = discover(ctx.fleet, scope)
    except (ScopeError, DiscoveryFailed) as error:
        raise WaveNotOpened(FleetUnlisted(str(error))) from None
    return [(FleetCluster(account.alias, region, s.cluster_id, s.name), (account, region, s))
            for (account, region), summaries in found.items() for s in summaries if s.cluster_type == DEDICATED]


def _candidate(ctx: Context, ask: WaveAsk, account: Account, region: str, summary: ClusterSummary,
               place_facts: PlaceFacts, pool: ThreadPoolExecutor) -> Candidate:
    """One cluster's precheck, as the wave composes it: a blocker, or its warnings and nodes for the order."""
    try:
        report = run_prechecks(ctx.fleet.clients(account, region), ctx.settings, cluster=summary.cluster_id,
                               bucket=ask.bucket_map.get(region), place_facts=place_facts, pool=pool)
    except CloudError as error:
        return Candidate(summary.cluster_id, summary.name, account.alias, region, warnings=0, nodes=0,
                         blocker=Blocker("cluster-detail:error", f"the cluster could not be read: {error}"))
    blocking = report.blocking
    blocker = Blocker(blocking[0].id, f"{blocking[0].title}: {blocking[0].summary}") if blocking else None
    warnings = sum(1 for check in report.checks if check.outcome is Outcome.WARN)
    nodes = (report.master_count or 0) + (report.worker_count or 0)
    return Candidate(summary.cluster_id, summary.name, account.alias, region, warnings=warnings, nodes=nodes,
                     blocker=blocker)


class ComposingNotes:
    """When to tell the requester how far the wave's prechecks are: as they pass a quarter, a half and three
    quarters of the clusters, and only once `SLOW_S` have gone by (a small wave composes in seconds and needs
    no note). Three notes at most: a response_url takes five posts in all, and the outcome needs one.

    `checked` is called from the prechecks' threads; a note is said under the lock, so notes never overtake
    each other."""

    QUARTERS = (0.25, 0.5, 0.75)
    SLOW_S = 5.0

    def __init__(self, total: int, say: Callable[[int], None], *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._marks = [math.ceil(total * q) for q in self.QUARTERS if math.ceil(total * q) < total]
        self._say = say
        self._clock = clock
        self._started = clock()
        self._lock = threading.Lock()

    def checked(self, done: int) -> None:
        with self._lock:
            passed = [mark for mark in self._marks if mark <= done]
            if not passed or self._clock() - self._started < self.SLOW_S:
                return
            self._marks = [mark for mark in self._marks if mark > done]
            self._say(done)


def _say_composing(ctx: Context, ask: WaveAsk, checked: int, total: int) -> None:
    """Replace the requester's "Composing wave …" answer with how far the prechecks are (a courtesy: a
    failure to show it is logged, the composition goes on)."""
    if ask.response_url is None:
        return  # an ephemeral message cannot be replaced; a new one per quarter would only add noise
    try:
        ctx.slack.respond(ask.response_url, wave_answers.composing(ask.name, checked, total), replace_original=True)
    except SlackError as error:
        log.warning("wave %s: progress not shown: %s", ask.name, error)
