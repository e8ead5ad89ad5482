"""What the `/ackmigrate` modal's pickers offer: each region's dedicated clusters and buckets, cached in Redis.

The bot must acknowledge Slack within 3 seconds and never waits on a cloud API, so its options come from
here and a worker job (workers.pickers) refreshes them. An options request that finds the list stale (or
missing) asks for a refresh and answers with what there is; `claim_refresh` lets only one refresh per
region be queued at a time however many people type in a picker.

Keys:
- `ackmigrate:pickers:clusters:{region}` — JSON `{"fetched_at": epoch, "items": [{"value", "label", "search"}]}`
- `ackmigrate:pickers:buckets:{region}` — the same shape, for the region's buckets
- `ackmigrate:pickers:refreshing:{region}` — set while a refresh is queued or running (expires by itself)
- `ackmigrate:pickers:error:{region}` — why the last refresh failed, for a few minutes
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from redis import Redis

Kind = Literal["clusters", "buckets"]

FRESH_FOR_S = 300.0
"""A list younger than five minutes is offered as it is; an older one is offered and refreshed."""

REFRESH_CLAIM_S = 60
"""How long one refresh holds its claim: long enough for a slow listing, short enough that a refresh that
died with its worker does not stop the next one for long."""

ERROR_KEPT_S = 300


@dataclass(frozen=True)
class PickerItem:
    """One choice: the value submitted, the label shown, and the text a person's query is matched against."""

    value: str
    label: str
    search: str

    def matches(self, query: str) -> bool:
        return query.strip().lower() in self.search.lower()


@dataclass(frozen=True)
class CachedList:
    fetched_at: float
    items: tuple[PickerItem, ...]

    def stale(self, now: float) -> bool:
        return now - self.fetched_at > FRESH_FOR_S


class PickerCache:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    def read(self, kind: Kind, region: str) -> CachedList | None:
        raw = self.redis.get(_key(kind, region))
        if raw is None:
            return None
        data = json.loads(raw)
        items = tuple(PickerItem(str(i["value"]), str(i["label"]), str(i["search"])) for i in data["items"])
        return CachedList(fetched_at=float(data["fetched_at"]), items=items)

    def write(self, kind: Kind, region: str, items: list[PickerItem], *, fetched_at: float) -> None:
        data = {"fetched_at": fetched_at, "items": [i.__dict__ for i in items]}
        self.redis.set(_key(kind, region), json.dumps(data))

    def claim_refresh(self, region: str) -> bool:
        """True for the one caller that should queue a refresh now."""
        return bool(self.redis.set(f"ackmigrate:pickers:refreshing:{region}", "1", nx=True, ex=REFRESH_CLAIM_S))

    def release_refresh(self, region: str) -> None:
        self.redis.delete(f"ackmigrate:pickers:refreshing:{region}")

    def note_error(self, region: str, text: str) -> None:
        self.redis.set(f"ackmigrate:pickers:error:{region}", text[:300], ex=ERROR_KEPT_S)

    def clear_error(self, region: str) -> None:
        self.redis.delete(f"ackmigrate:pickers:error:{region}")

    def last_error(self, region: str) -> str | None:
        raw = self.redis.get(f"ackmigrate:pickers:error:{region}")
        return raw.decode() if isinstance(raw, bytes) else raw


def _key(kind: Kind, region: str) -> str:
    return f"ackmigrate:pickers:{kind}:{region}"
