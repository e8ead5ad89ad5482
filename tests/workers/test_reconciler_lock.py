"""One reconciler sweep per interval, however many workers offer one (workers.reconciler.sweep_if_due)."""

from __future__ import annotations

import threading
import time

import redis

from workers.config import Settings
from workers.context import Context
from workers.reconciler import SWEEP_COUNTS, sweep_if_due
from workers.timing import WorkerTiming

INTERVAL_S = 0.5


def _worker(redis_url: str, name: str) -> Context:
    return Context(settings=Settings.from_env({"REDIS_URL": redis_url}), redis=redis.Redis.from_url(redis_url),
                   timing=WorkerTiming(reconcile_interval_s=INTERVAL_S), worker_id=name)


def test_workers_offering_a_sweep_at_the_same_moment_get_exactly_one(redis_url: str) -> None:
    workers = [_worker(redis_url, f"worker-{n}") for n in range(8)]
    start = threading.Barrier(len(workers))
    swept: list[bool] = []

    def offer(ctx: Context) -> None:
        start.wait()
        swept.append(sweep_if_due(ctx))

    threads = [threading.Thread(target=offer, args=(ctx,)) for ctx in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(swept) == [False] * 7 + [True]
    counts = {k.decode(): int(v) for k, v in redis.Redis.from_url(redis_url).hgetall(SWEEP_COUNTS).items()}
    assert sum(counts.values()) == 1


def test_the_next_interval_is_anyones_again_so_a_dead_sweeper_costs_one_interval(redis_url: str) -> None:
    first, second = _worker(redis_url, "first"), _worker(redis_url, "second")
    assert sweep_if_due(first)  # then "first" dies without releasing anything

    assert not sweep_if_due(second)  # within the interval: already done
    time.sleep(INTERVAL_S)
    assert sweep_if_due(second)
