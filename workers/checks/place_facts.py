"""Facts that are the same for every cluster of one (account, region), asked once per plan run.

A plan prechecks every dedicated cluster of a place against the same OSS bucket (the account's bucket for
the region), so GetBucketInfo and GetBucketReferer would otherwise be asked once per cluster: two of the
fourteen calls a cluster costs, each with its own signing and round trip, for an answer that cannot differ
between the clusters. `PlaceFacts` asks once and hands the answer to every cluster of the place.

Scope: one `PlaceFacts` per place per `run_plan` (never kept between plans, so a bucket fixed between two
plans is seen by the second). Answers are kept, refusals included (a missing bucket or a denied read is the
same fact for every cluster); a transient failure (Throttled or Unavailable after its retries) is handed
to the clusters that were waiting on that very call but not kept, so the next cluster asks again. Clusters
that ask while the call is in flight wait for it rather than send their own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any, TypeVar

from workers.errors import Throttled, Unavailable

T = TypeVar("T")


class PlaceFacts:
    """A memo of one place's shared facts, keyed by what was asked (e.g. ("GetBucketInfo", bucket)); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._asked: dict[Hashable, Future[Any]] = {}

    def get(self, key: Hashable, fetch: Callable[[], T]) -> T:
        """`fetch()`'s answer for `key`: asked by the first caller, shared with every later or concurrent one."""
        with self._lock:
            asked = self._asked.get(key)
            first = asked is None
            if asked is None:
                asked = self._asked[key] = Future()
        if not first:
            answer: T = asked.result()
            return answer
        try:
            value = fetch()
        except (Throttled, Unavailable) as error:
            with self._lock:
                del self._asked[key]  # "not now" is no fact of the place: the next cluster asks again
            asked.set_exception(error)
            raise
        except BaseException as error:
            asked.set_exception(error)
            raise
        asked.set_result(value)
        return value
