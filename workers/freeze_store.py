"""The freeze switch in Redis: one key that every start checks, audited and announced.

Keys (under `ackmigrate:`):

- `ackmigrate:freeze` — string: the active freeze as JSON (`workers.domain.freeze.Freeze`). With `until`
  it carries a Redis expiry at that moment (PEXPIREAT), so a freeze lifts itself even if no process is
  running then, and the wave store's claim (a Lua script that only checks that this key exists) agrees
  with `Freeze.active` to within the clocks' difference.

Each change and its audit entry (`frozen` / `unfrozen`, workers.audit) are written in one MULTI, so the
log never shows a freeze that did not happen, nor misses one that did. `unfreeze` is a compare-and-set:
it WATCHes the key and deletes only the freeze it read, so an unfreeze racing a fresh freeze (a new
reason, a later `until`) fails rather than lifting a freeze its author never saw.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from redis import Redis
from redis.exceptions import WatchError

from workers.audit import AuditLog
from workers.domain.freeze import Freeze

FREEZE_KEY = "ackmigrate:freeze"


class NotFrozen(Exception):
    """`unfreeze` with no freeze in force."""

    def __str__(self) -> str:
        return "nothing is frozen"


@dataclass(frozen=True)
class Unfrozen:
    """The freeze that was lifted, and by whom."""

    freeze: Freeze
    by: str


class FreezeStore:
    def __init__(self, redis: Redis, audit: AuditLog, *, clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.audit = audit
        self.clock = clock

    def current(self) -> Freeze | None:
        """The freeze in force now, or None (an expired one is gone from Redis, or not active any more)."""
        data = self.redis.get(FREEZE_KEY)
        if data is None:
            return None
        freeze = Freeze.from_json(data)
        return freeze if freeze.active(self._now()) else None

    def freeze(self, *, by: str, reason: str, until: datetime | None = None) -> Freeze:
        """Freeze starts now (replacing any freeze in force: the newest reason and end win)."""
        now = self._now()
        if until is not None and until <= now:
            raise ValueError(f"a freeze until {until.isoformat()} would already be over")
        freeze = Freeze(by=by, reason=reason, at=now, until=until)
        pipe = self.redis.pipeline(transaction=True)
        if until is None:
            pipe.set(FREEZE_KEY, freeze.to_json())
        else:
            pipe.set(FREEZE_KEY, freeze.to_json(), pxat=int(until.timestamp() * 1000))
        self.audit.append("frozen", actor=by, pipeline=pipe, reason=reason,
                          until=None if until is None else until.timestamp())
        pipe.execute()
        return freeze

    def unfreeze(self, *, by: str) -> Unfrozen:
        """Lift the freeze in force (the caller has checked `by` is an approver); NotFrozen when none is."""
        with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(FREEZE_KEY)
                    # immediate while WATCHing (the pipeline buffers only after multi())
                    data = cast("bytes | None", pipe.get(FREEZE_KEY))
                    if data is None:
                        raise NotFrozen()
                    lifted = Freeze.from_json(data)
                    pipe.multi()
                    pipe.delete(FREEZE_KEY)
                    self.audit.append("unfrozen", actor=by, pipeline=pipe, reason=lifted.reason,
                                      frozen_by=lifted.by)
                    pipe.execute()
                    return Unfrozen(freeze=lifted, by=by)
                except WatchError:
                    continue  # frozen again (or lifted) meanwhile: decide on what is there now

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)
