"""The one place the wave engine tells the channel about a wave (waves, their clusters, the freeze).

Every call goes to `workers.wave_notify` (the wave message and its thread, owned by the Slack side of the
fleet work): `post_wave_request`, `wave_changed` (the parent redrawn in place, throttled),
`cluster_event` (one thread line per cluster start and end, exactly once) and `announce_freeze`. The
engine never words anything itself; it only says *what* happened, after it is saved in Redis.

Until `workers.wave_notify` is merged this module finds it missing and logs what it would have said, so
the engine runs (and is tested) on its own; wiring it is replacing `_notify()` by a plain import.
"""

from __future__ import annotations

import importlib
import logging
from enum import StrEnum
from types import ModuleType

from workers.context import Context
from workers.domain.freeze import Freeze

log = logging.getLogger(__name__)


class ClusterNews(StrEnum):
    """What happened to one cluster of a wave (mapped onto wave_notify's WaveEvent when wired)."""

    STARTED = "started"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


def request_posted(ctx: Context, name: str) -> None:
    """The wave was created, awaiting approval: post its request message (with Approve / Reject)."""
    _call("post_wave_request", ctx, name)


def changed(ctx: Context, name: str) -> None:
    """Anything about the wave changed: redraw its parent message (wave_notify throttles)."""
    _call("wave_changed", ctx, name)


def cluster(ctx: Context, name: str, cluster_id: str, news: ClusterNews) -> None:
    """One thread line for a cluster's start or end (wave_notify posts each exactly once)."""
    _call("cluster_event", ctx, name, cluster_id, news)


def freeze(ctx: Context, current: Freeze | None, *, by: str, channel: str) -> None:
    """A freeze began (`current`) or was lifted (None)."""
    _call("announce_freeze", ctx, current, by=by, channel=channel)


def _call(function: str, ctx: Context, *args: object, **kwargs: object) -> None:
    module = _notify()
    if module is None:
        log.info("wave news %s%s (workers.wave_notify is not wired yet)", function, args)
        return
    getattr(module, function)(ctx, *args, **kwargs)


def _notify() -> ModuleType | None:
    try:
        return importlib.import_module("workers.wave_notify")
    except ModuleNotFoundError as missing:
        if missing.name != "workers.wave_notify":
            raise
        return None
