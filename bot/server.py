"""`ackmigrate serve`: the bot over HTTP under gunicorn (threaded workers), the production way.

Several worker processes share nothing but Redis (ARCHITECTURE.md: nothing may assume a single process).
Their Prometheus counters are added up through PROMETHEUS_MULTIPROC_DIR, which must be set before any
worker imports prometheus_client; serve() makes a private one when the operator did not choose one.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
from typing import Any

from gunicorn.app.base import BaseApplication

from workers.config import Settings

THREADS_PER_WORKER = 4
"""Slack retries a request it got no answer for in 3 s; threads keep one slow request from queueing others.
More threads than this only queue on the GIL: a request is ~1 ms of Python between Redis round trips."""

GIL_SWITCH_INTERVAL_S = 0.001
"""A thread back from a Redis round trip waits for the GIL up to the switch interval (5 ms by default) while
another thread computes; with ~9 round trips per command that convoy, not the work, set the tail latency
of 20 simultaneous commands (measured by `make bench`: p99 halved)."""


class BotServer(BaseApplication):
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from bot.web import BotWsgi  # in the worker, after the metrics directory is in the environment

        sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        app = BotWsgi(self.settings)
        # Everything built so far (Bolt, slack_sdk, the listeners) lives as long as the worker: moved out
        # of the collector's view, a full collection no longer walks it in the middle of someone's ack
        # (`make bench`: with SO_REUSEPORT below, p99 of 20 simultaneous commands 26-50 ms -> 16-25 ms).
        gc.collect()
        gc.freeze()
        return app


def serve(settings: Settings, host: str, port: int, workers: int) -> int:
    settings.require("slack_bot_token", "slack_signing_secret")
    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="ackmigrate-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": max(1, workers),
        "worker_class": "gthread",
        "threads": THREADS_PER_WORKER,
        "timeout": 30,
        "graceful_timeout": 10,
        "accesslog": "-",
        "child_exit": _forget_worker_metrics,
        "pre_request": _close_after_oversized_body,
        "proc_name": "ackmigrate-serve",
        # SO_REUSEPORT on the listening socket: measured to spread a burst of connections more evenly
        # between the workers (see gc.freeze above). It also lets another process bind the same port, so
        # give each `serve` its own port (containers and the Procfile do).
        "reuse_port": True,
    }
    BotServer(settings, options).run()
    return 0


def _close_after_oversized_body(worker: Any, request: Any) -> None:
    """A body the bot refuses unread (bot.web: 413) must not then be drained by gunicorn to keep the
    connection alive (it discards an unread body before the next request): close the connection instead."""
    from bot.intake import Refused, declared_length

    headers = dict(request.headers)
    if "TRANSFER-ENCODING" in headers:  # Slack always sends a length; a chunked body may be drained for long
        request.must_close = True  # gunicorn's own flag (Request.should_close): no keep-alive
        return
    try:
        declared_length(headers.get("CONTENT-LENGTH"))
    except Refused:
        request.must_close = True


def _forget_worker_metrics(server: Any, worker: Any) -> None:
    """A dead worker's gauges must not linger in the sum (its counters stay: they are history)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
