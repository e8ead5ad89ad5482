"""Enqueue a runbook job under a job id chosen in advance.

`workers.queues.Queues` is the bot's door and lets RQ pick job ids. The runbook needs to pick them:
it hands a record's lease to the next job *before* enqueueing it (workers.lease), so that job, and no
stale duplicate, owns the record the moment it starts — which needs the id before the job exists.
"""

from __future__ import annotations

import time
from datetime import timedelta

from redis import Redis
from rq import Queue
from rq.job import Job

from workers.poll_lag import SCHEDULED_FOR
from workers.queues import RUNBOOK_QUEUE

_JOBS = "workers.jobs"


def schedule(redis: Redis, job_name: str, record_id: str, *, delay_s: float, job_id: str) -> Job:
    """`workers.jobs.<job_name>(record_id)` on the runbook queue, now or after `delay_s` (the scheduler).

    The job carries the moment it is due in its meta, so whoever runs it can tell how late it started
    (workers.poll_lag).
    """
    queue = Queue(RUNBOOK_QUEUE, connection=redis)
    meta = {SCHEDULED_FOR: time.time() + max(0.0, delay_s)}
    if delay_s > 0:
        return queue.enqueue_in(
            timedelta(seconds=delay_s), f"{_JOBS}.{job_name}", record_id, job_id=job_id, meta=meta
        )
    return queue.enqueue(f"{_JOBS}.{job_name}", record_id, job_id=job_id, meta=meta)
