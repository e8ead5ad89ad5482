"""`ackmigrate serve`: the bot over HTTP under gunicorn (threaded workers), the production way.

Several worker processes share nothing but Redis (DESIGN.md: nothing may assume a single process).
Their Prometheus counters are added up through PROMETHEUS_MULTIPROC_DIR, which must be set before any
worker imports prometheus_client; serve() makes a private one when the operator did not choose one.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from gunicorn.app.base import BaseApplication

from workers.config import Settings

THREADS_PER_WORKER = 8
"""Slack retries a request it got no answer for in 3 s; threads keep one slow request from queueing others."""


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

        return BotWsgi(self.settings)


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
        "proc_name": "ackmigrate-serve",
    }
    BotServer(settings, options).run()
    return 0


def _forget_worker_metrics(server: Any, worker: Any) -> None:
    """A dead worker's gauges must not linger in the sum (its counters stay: they are history)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
