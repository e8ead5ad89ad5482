"""`/ackmigrate plan` in the channel: one message, progress shown in place, the report, chart and CSV.

The message is posted at once, edited with the progress while the prechecks run, and replaced by the
readiness report at the end; the chart (PNG) and the full table (CSV) are shared in its thread through
Slack's upload flow. Progress edits are throttled to one every PROGRESS_INTERVAL_S: chat.update is a Tier 3
method (about 50 a minute per workspace, https://docs.slack.dev/reference/methods/chat.update), and a plan
over 500 clusters would otherwise ask for one edit per cluster.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from workers.context import Context
from workers.fleet.plan import Progress, run_plan
from workers.fleet.report import PlanReport, to_csv
from workers.fleet.scope import Scope, ScopeError
from workers.slack import FileUpload, SlackError
from workers.ui.plan_chart import readiness_chart
from workers.ui.plan_report import (
    CHART_TITLE,
    TABLE_TITLE,
    files_comment,
    nothing_to_plan,
    progress_message,
    report_message,
)

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 3.0  # 20 edits a minute at most: well inside Tier 3, with room for other messages
PLAN_POST_PATIENCE_S = 30.0
"""The plan is asked for by a person who waits for it: its post and its final edit wait out a busy channel or
a busy chat.update lane (a wave's burst) rather than fail."""


class Throttle:
    """Lets one call through per interval, from any thread (the plan reports progress from its pool)."""

    def __init__(self, interval_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval_s = interval_s
        self._clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def due(self) -> bool:
        with self._lock:
            now = self._clock()
            if now < self._next:
                return False
            self._next = now + self._interval_s
            return True


def post_plan(ctx: Context, *, scope: Scope, user: str, channel: str) -> PlanReport | None:
    """Run the plan for `scope` and show it in `channel`; None if the scope names nothing configured."""
    first = progress_message(Progress(0, 0), scope=scope.describe())
    ts = ctx.slack.post(channel, first.text, first.blocks, patience_s=PLAN_POST_PATIENCE_S)
    throttle = Throttle(PROGRESS_INTERVAL_S)

    def show(progress: Progress) -> None:
        if not throttle.due():
            return
        shown = progress_message(progress, scope=scope.describe())
        try:
            ctx.slack.update(channel, ts, shown.text, shown.blocks)
        except SlackError as error:  # progress is a courtesy: the report at the end is what matters
            log.warning("plan progress not shown: %s", error)

    try:
        report = run_plan(ctx.fleet, scope, on_progress=show)
    except ScopeError as error:
        ctx.slack.update(channel, ts, nothing_to_plan(error), patience_s=PLAN_POST_PATIENCE_S)
        return None
    final = report_message(report)
    ctx.slack.update(channel, ts, final.text, final.blocks, patience_s=PLAN_POST_PATIENCE_S)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    ctx.slack.upload_files(channel, [
        FileUpload(f"fleet-readiness-{stamp}.png", CHART_TITLE, readiness_chart(report)),
        FileUpload(f"fleet-plan-{stamp}.csv", TABLE_TITLE, to_csv(report)),
    ], comment=files_comment(user), thread_ts=ts)
    return report
