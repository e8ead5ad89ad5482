"""The refresh job behind the modal's pickers: list a region's dedicated clusters and buckets, cache them.

One ListBuckets and the dedicated-cluster listing (through AckClient.list_clusters, DescribeClustersForRegion
`GET /regions/{region_id}/clusters`) per refresh; the bot reads the result from workers.picker_cache.
A failed listing keeps the previous lists and leaves the reason for the pickers to show.
"""

from __future__ import annotations

import logging
import time

from workers.cloud.models import BucketSummary, ClusterSummary
from workers.context import Context
from workers.errors import CloudError
from workers.picker_cache import PickerCache, PickerItem

log = logging.getLogger(__name__)

DEDICATED = "Kubernetes"
"""DescribeClusterDetail / the listing's cluster_type of an ACK dedicated cluster (cloud-apis.md)."""


def refresh(ctx: Context, region: str) -> None:
    cache = PickerCache(ctx.redis)
    try:
        _refresh(ctx, cache, region)
    finally:
        cache.release_refresh(region)  # the next stale read may queue another refresh


def _refresh(ctx: Context, cache: PickerCache, region: str) -> None:
    clouds = ctx.clouds(region)
    try:
        clusters = [c for c in clouds.ack.list_clusters(cluster_type=DEDICATED) if c.cluster_type == DEDICATED]
        buckets = [b for b in clouds.oss.list_buckets() if b.region == region]
    except CloudError as error:
        log.warning("could not refresh the pickers of %s: %s", region, error)
        cache.note_error(region, str(error))
        return
    now = time.time()
    cache.write("clusters", region, [cluster_item(c) for c in clusters], fetched_at=now)
    cache.write("buckets", region, [bucket_item(b) for b in buckets], fetched_at=now)
    cache.clear_error(region)


def cluster_item(cluster: ClusterSummary) -> PickerItem:
    """Shown by name, searched by name and id, submitted as the id (what the typed command accepts)."""
    label = f"{cluster.name} ({cluster.current_version or 'unknown version'}, {cluster.state or 'unknown'})"
    return PickerItem(value=cluster.cluster_id, label=label, search=f"{cluster.name} {cluster.cluster_id}")


def bucket_item(bucket: BucketSummary) -> PickerItem:
    return PickerItem(value=bucket.name, label=bucket.name, search=bucket.name)
