"""Answering the modal's pickers from Redis alone, and asking a worker to refresh what is stale.

A block_suggestion must be answered within Slack's 3 seconds and the bot never waits on a cloud API, so
an options request reads the cached list (workers.picker_cache), answers with it, and — when it is older
than FRESH_FOR_S or missing — queues one refresh job for the region.
"""

from __future__ import annotations

import time
from typing import Any

from slack_bolt import Ack

from bot.limits import MAX_QUERY_TEXT
from bot.services import Services
from workers.picker_cache import CachedList, Kind, PickerCache
from workers.queues import Queues
from workers.ui.modals import picker_options


def offer(cache: PickerCache, queues: Queues, *, kind: Kind, region: str, query: str) -> list[dict[str, Any]]:
    cached = cache.read(kind, region)
    _refresh_unless_fresh(cache, queues, region, cached)
    return picker_options(cached, query, kind=kind, region=region, error=cache.last_error(region))


def refresh_if_stale(cache: PickerCache, queues: Queues, region: str) -> None:
    """Queue a refresh when the cluster list is missing or old (the bucket list is refreshed with it)."""
    _refresh_unless_fresh(cache, queues, region, cache.read("clusters", region))


def _refresh_unless_fresh(cache: PickerCache, queues: Queues, region: str, cached: CachedList | None) -> None:
    """One refresh per region at a time: none while one is queued or running."""
    if (cached is None or cached.stale(time.time())) and cache.claim_refresh(region):
        queues.refresh_pickers(region)


class PickerListener:
    """An options listener for one picker: the query cut to MAX_QUERY_TEXT, the answer from the cache."""

    def __init__(self, services: Services, *, kind: Kind) -> None:
        self.services = services
        self.kind = kind

    def answer(self, ack: Ack, payload: dict[str, Any]) -> None:
        services = self.services
        query = str(payload.get("value") or "")[:MAX_QUERY_TEXT]
        ack(options=offer(PickerCache(services.redis), services.queues, kind=self.kind,
                          region=services.settings.region, query=query))
