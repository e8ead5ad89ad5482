"""`ackmigrate worker`: an RQ worker with the scheduler on all queues, plus the reconciler.

The worker runs jobs in its own process (rq's SimpleWorker, no fork per job): every job here is short
and does I/O, and a fork per job would cap one worker at a few dozen polls a second where it must
follow hundreds of migrations. A crash is contained the same way: the job fails, the worker goes on,
and a worker killed outright is covered by the leases and the reconciler.

Every worker offers to run the reconciler every ACKMIGRATE_RECONCILE_INTERVAL seconds, from a thread;
one sweep per interval happens across all workers (workers.reconciler.sweep_if_due takes a lock).
"""

from __future__ import annotations

import logging
import threading
import time

from redis.exceptions import RedisError
from rq import SimpleWorker

from workers.config import Settings
from workers.context import Context, use_context
from workers.health import WORKER_TTL_S
from workers.queues import ALL_QUEUES
from workers.reconciler import reconcile, sweep_if_due
from workers.timing import WorkerTiming

log = logging.getLogger(__name__)


def run_worker(settings: Settings, burst: bool = False) -> int:
    settings.require("slack_bot_token")
    ctx = Context.build(settings, timing=WorkerTiming.from_env())
    use_context(ctx)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    sweeper = threading.Thread(target=_sweep_forever, args=(ctx, stop), name="reconciler", daemon=True)
    if not burst:
        sweeper.start()
    else:
        reconcile(ctx)
    try:
        while True:
            # A short worker_ttl makes RQ's heartbeat frequent enough to be a liveness signal (workers.health).
            worker = SimpleWorker(list(ALL_QUEUES), connection=ctx.redis, worker_ttl=WORKER_TTL_S)
            worker.work(burst=burst, with_scheduler=True)
            if burst or worker._shutdown_requested_date is not None:  # SIGTERM/SIGINT: rq's own record
                return 0
            # rq leaves its loop on a Redis timeout; Redis coming back must not need an operator.
            log.warning("worker loop ended without a stop request (Redis unreachable?); starting again in 1 s")
            time.sleep(1)
    finally:
        stop.set()


def _sweep_forever(ctx: Context, stop: threading.Event) -> None:
    """Sweep until the worker stops; a failed sweep is logged and the next one tries again."""
    while not stop.wait(ctx.timing.reconcile_interval_s):
        try:
            sweep_if_due(ctx)
        except RedisError as error:
            log.warning("reconciler: Redis unavailable (%s); next sweep in %.0f s", error,
                        ctx.timing.reconcile_interval_s)
        except Exception:  # noqa: BLE001 - the sweep is the safety net; it must outlive one bad record
            log.exception("reconciler sweep failed; next sweep in %.0f s", ctx.timing.reconcile_interval_s)
