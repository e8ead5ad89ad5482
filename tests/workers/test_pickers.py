"""The refresh job behind the modal's pickers: the region's dedicated clusters and buckets, cached in Redis."""

from __future__ import annotations

import time
from typing import Any

from tests.workers.runbook_harness import make_context
from workers import pickers
from workers.picker_cache import FRESH_FOR_S, PickerCache


def test_a_refresh_caches_the_regions_dedicated_clusters_and_its_buckets_searchable_by_name_and_id(
    sandbox: Any, sandbox_env: dict[str, str]
) -> None:
    ctx = make_context(sandbox_env)
    ready = sandbox.control.create_cluster(name="prod-hz-ready")
    sandbox.control.create_cluster(name="prod-hz-pro", cluster_type="ManagedKubernetes", cluster_spec="ack.pro.small")
    sandbox.control.create_cluster(name="prod-sh-1", region_id="cn-shanghai")
    sandbox.control.create_bucket("ack-migrate-hz", "cn-hangzhou")
    sandbox.control.create_bucket("ack-migrate-sh", "cn-shanghai")
    cache = PickerCache(ctx.redis)
    assert cache.claim_refresh("cn-hangzhou")

    pickers.refresh(ctx, "cn-hangzhou")

    clusters, buckets = cache.read("clusters", "cn-hangzhou"), cache.read("buckets", "cn-hangzhou")
    assert clusters is not None and buckets is not None
    assert [item.value for item in clusters.items] == [ready["cluster_id"]]
    (item,) = clusters.items
    assert item.label.startswith("prod-hz-ready (") and item.matches("READY") and item.matches(ready["cluster_id"][:9])
    assert [b.value for b in buckets.items] == ["ack-migrate-hz"]
    assert not clusters.stale(time.time()) and clusters.stale(time.time() + FRESH_FOR_S + 1)
    assert cache.claim_refresh("cn-hangzhou"), "the refresh gave its claim back"


def test_a_failed_listing_keeps_the_previous_lists_and_leaves_its_reason(
    sandbox: Any, sandbox_env: dict[str, str]
) -> None:
    ctx = make_context(sandbox_env)
    sandbox.control.create_cluster(name="prod-hz-1")
    cache = PickerCache(ctx.redis)
    pickers.refresh(ctx, "cn-hangzhou")
    before = cache.read("clusters", "cn-hangzhou")
    sandbox.control.fault(service="oss", action="ListBuckets", http_status=403, code="AccessDenied",
                          message="You have no right to access this object because of bucket acl.", count=1)

    pickers.refresh(ctx, "cn-hangzhou")

    assert cache.read("clusters", "cn-hangzhou") == before
    error = cache.last_error("cn-hangzhou")
    assert error is not None and "AccessDenied" in error
    assert cache.claim_refresh("cn-hangzhou")
