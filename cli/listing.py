"""`ackmigrate list`: the region's dedicated clusters, each ready or held back, as a table or JSON.

The listing itself (which clusters, and what "ready" promises) is workers.listing's, shared with
`/ackmigrate list`; this module reads the requests in flight from Redis when it can, and prints.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

from redis.exceptions import RedisError

from cli.exit_codes import EXIT_FAILED, EXIT_OK
from workers.cloud import CloudClients
from workers.config import Settings
from workers.domain.records import Record
from workers.errors import CloudError
from workers.listing import Listing, list_clusters
from workers.redis_connection import connect_redis, describe_redis
from workers.store import RecordStore
from workers.ui import words


def run_list(settings: Settings, *, region: str | None, as_json: bool) -> int:
    """`ackmigrate list`: a table (or `--json`); exit 1 when the clusters could not be listed."""
    clouds = CloudClients.from_settings(settings, region)
    active = _active_lookup(settings)
    try:
        listing = list_clusters(clouds, settings, active=active)
    except CloudError as error:
        print(f"ackmigrate list: could not list the clusters of {clouds.region}: {error}", file=sys.stderr)
        return EXIT_FAILED
    if as_json:
        document = {"region": listing.region, "clusters": [c.to_dict() for c in listing.clusters],
                    "others": listing.others, "ready_means": f"every check that needs no bucket passes; {NOT_CHECKED}"}
        print(json.dumps(document, indent=2))
        return EXIT_OK
    print(format_listing(listing))
    return EXIT_OK


def format_listing(listing: Listing) -> str:
    rows = [["NAME", "ID", "VERSION", "READINESS"]]
    rows += [[c.name, c.cluster_id, c.version or "?", words.readiness(c.readiness, c.blocking, c.could_not_run, c.reason)]
             for c in listing.clusters]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[3]])
             for row in rows]
    if not listing.clusters:
        lines = [f"No dedicated clusters in {listing.region}."]
    lines.append("")
    lines.append(f"ready: every check that needs no bucket passes; {NOT_CHECKED}.")
    if listing.others:
        lines.append(f"{listing.others} managed or other clusters are not listed.")
    return "\n".join(lines)


NOT_CHECKED = "the bucket and the master role's grant on it need `ackmigrate precheck CLUSTER --bucket B`"


def _active_lookup(settings: Settings) -> Callable[[str], Record | None]:
    """Requests in flight from Redis; without Redis the listing still answers, and says it could not look."""
    redis = connect_redis(settings, socket_timeout=5, socket_connect_timeout=5)
    try:
        redis.ping()
    except RedisError as error:
        print(f"ackmigrate list: requests in flight unknown (Redis at {describe_redis(settings)}: {error})",
              file=sys.stderr)
        return lambda _cluster_id: None
    return RecordStore(redis).active_for_cluster
