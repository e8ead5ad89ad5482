"""Finding the one cluster a single-cluster command (`migrate`, `precheck`, `verify`, `cleanup`) names, in
whichever configured account and region holds it.

What an operator may type is workers.fleet.names's rule: an id, a name unique across the fleet, or
`alias/name`. This module asks the cloud only as much as that rule needs:

- **no fleet configured** (ACKMIGRATE_ACCOUNTS and ACKMIGRATE_REGIONS name nothing beyond the bot's own
  account and region): exactly the lookup a single-account bot always made, `AckClient.resolve_cluster` in
  the default region, with the same calls and the same answer for an unknown name;
- **an id**: DescribeClusterDetail in the default place (the bot's own account, its default region) first,
  then in each other configured place in turn, stopping at the first that knows it — one call in the
  common case, never a discovery of the fleet. The detail's own `region_id` is where the cluster is;
- **a name**: it must be unique across the fleet, so every place in scope (every configured place, or the
  named account's for `alias/name`) is asked with DescribeClustersForRegion's `name` filter, one call in
  flight per place, each place's lane well within ACKMIGRATE_CLOUD_CONCURRENCY. Only when nothing matches
  are the places listed in full, to show what exists (bounded by the answer, which names ten).

The words are workers.ui.private_answers'; this module raises NotLocated carrying them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from workers.accounts import Account, own_account
from workers.cloud import CloudClients
from workers.cloud.ack import is_cluster_id
from workers.cloud.models import ClusterDetail, ClusterSummary
from workers.config import Settings
from workers.context import Context
from workers.errors import CloudError, Conflict, NotFound
from workers.fleet.names import AmbiguousName, FleetCluster, NamingError, resolve_one
from workers.ui import private_answers

log = logging.getLogger(__name__)

_PLACES_AT_ONCE = 16  # as the plan's discovery: one listing per place, at most this many places at a time

Place = tuple[Account, str]


@dataclass(frozen=True)
class Located:
    """The cluster, the clients of its place, and the account alias its record carries (None: the bot's own
    credentials with no fleet configured, as every record was before fleets)."""

    detail: ClusterDetail
    clouds: CloudClients
    account: str | None


@dataclass(frozen=True)
class Near:
    """Where a cluster was last seen: a record's account alias (None: the bot's own credentials, as records
    made before fleets say) and region."""

    account: str | None
    region: str

    def is_place(self, account: Account, region: str) -> bool:
        same_account = account.alias == self.account if self.account is not None else account.role_arn is None
        return same_account and region == self.region


class NotLocated(Exception):
    """The text names no cluster, or several; str() is the private answer to give."""


def fleet_configured(settings: Settings) -> bool:
    """Whether ACKMIGRATE_ACCOUNTS / ACKMIGRATE_REGIONS name more than the bot's own account and region."""
    return settings.accounts != (own_account(settings.regions),) or settings.regions != (settings.region,)


def locate(ctx: Context, cluster_ref: str, *, near: Near | None = None) -> Located:
    """The one cluster `cluster_ref` names, or NotLocated with what to tell the user. A CloudError other than
    "not found" passes (the caller reports it as it always has). `near`: where the cluster was last seen (a
    cleanup of a migrated cluster knows its migration's account and region), asked first for an id."""
    text = cluster_ref.strip()
    if not fleet_configured(ctx.settings):
        return _in_default_region(ctx, text)
    alias, slash, name = text.partition("/")
    if slash:
        account = next((a for a in ctx.settings.accounts if a.alias == alias), None)
        if account is None:
            raise NotLocated(private_answers.no_such_account(alias, [a.alias for a in ctx.settings.accounts]))
        return _by_name(ctx, text, name, [p for p in places(ctx.settings) if p[0] == account])
    if is_cluster_id(text):
        found = _by_id(ctx, text, near)
        if found is not None:
            return found
    return _by_name(ctx, text, text, places(ctx.settings))


def places(settings: Settings) -> list[Place]:
    """Every configured (account, region), the default place first: the bot's own account in the default
    region is where a single-account operator's clusters are, and where an id is asked for first."""
    every = [(account, region) for account in settings.accounts for region in account.regions]
    return sorted(every, key=lambda place: (place[1] != settings.region, place[0].role_arn is not None))


def _in_default_region(ctx: Context, text: str) -> Located:
    """The lookup of a bot with no fleet: the default region, the bot's own credentials."""
    clouds = ctx.clouds()
    try:
        detail = clouds.ack.resolve_cluster(text)
    except NotFound:
        names = [c.name for c in clouds.ack.list_clusters()]
        raise NotLocated(private_answers.no_such_cluster(text, clouds.ack.region, names)) from None
    except Conflict as error:
        raise NotLocated(error.message) from None
    # The record's region is the detail's, and every later step uses it (Context.clouds_for): so do the checks.
    return Located(detail, ctx.clouds(detail.region_id or None), account=None)


def _by_id(ctx: Context, cluster_id: str, near: Near | None) -> Located | None:
    """The place that knows the id, asked one place at a time, `near` first, then the default place; None if
    none does (the text may be a name that looks like an id)."""
    ordered = places(ctx.settings)
    if near is not None:
        ordered.sort(key=lambda place: not near.is_place(*place))  # stable: the rest keep their order
    for account, region in ordered:
        clouds = ctx.clouds_in(account, region)
        try:
            detail = clouds.ack.describe_cluster(cluster_id)
        except NotFound:
            continue
        if detail.region_id and detail.region_id != region:  # the cluster says where it is: use that region
            clouds = ctx.clouds_in(account, detail.region_id)
        return Located(detail, clouds, account=account.alias)
    return None


def _by_name(ctx: Context, text: str, name: str, scope: Sequence[Place]) -> Located:
    """The one cluster called `name` in `scope` (NotLocated: none, several, or a place that could not say)."""
    listed = _list(ctx, scope, name)
    failures = [(a.alias, r, error) for (a, r), (_, error) in listed.items() if error is not None]
    near = [FleetCluster(a.alias, r, s.cluster_id, s.name)
            for (a, r), (summaries, _) in listed.items() for s in summaries]
    exact = [c for c in near if c.name == name]
    if failures and len(exact) <= 1:  # one match is not known to be the only one; none may be a place away
        raise NotLocated(private_answers.fleet_not_searched(text, failures))
    try:
        chosen = resolve_one(text, exact)
    except AmbiguousName as ambiguous:
        raise NotLocated(private_answers.ambiguous_cluster(text, ambiguous.candidates)) from None
    except NamingError:
        if near:
            raise NotLocated(private_answers.no_such_cluster_in_fleet(text, near, similar=True)) from None
        everything = _list(ctx, scope, None)
        existing = [FleetCluster(a.alias, r, s.cluster_id, s.name)
                    for (a, r), (summaries, _) in everything.items() for s in summaries]
        raise NotLocated(private_answers.no_such_cluster_in_fleet(text, existing, similar=False)) from None
    account = next(a for a, r in scope if a.alias == chosen.account and r == chosen.region)
    clouds = ctx.clouds_in(account, chosen.region)
    return Located(clouds.ack.describe_cluster(chosen.cluster_id), clouds, account=account.alias)


def _list(ctx: Context, scope: Sequence[Place], name: str | None,
          ) -> dict[Place, tuple[list[ClusterSummary], str | None]]:
    """DescribeClustersForRegion in every place of `scope` (with ACK's fuzzy `name` filter when given), one
    call in flight per place; a place that fails is kept with its error."""

    def one(place: Place) -> tuple[list[ClusterSummary], str | None]:
        account, region = place
        try:
            return ctx.clouds_in(account, region).ack.list_clusters(name=name), None
        except CloudError as error:
            log.warning("looking for %r in %s/%s failed: %s", name, account.alias, region, error)
            return [], str(error)

    with ThreadPoolExecutor(max_workers=min(_PLACES_AT_ONCE, len(scope)), thread_name_prefix="locate") as pool:
        return dict(zip(scope, pool.map(one, scope), strict=True))
