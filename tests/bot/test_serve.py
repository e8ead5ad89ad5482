"""`ackmigrate serve` itself: gunicorn workers serving the bot, reached by the Slack stand-in."""

from __future__ import annotations

import re
import urllib.request
from typing import Any

import pytest
from redis import Redis
from rq import Queue

from tests.bot.serve_process import ackmigrate_serve
from workers.queues import INTERACTIVE_QUEUE


@pytest.mark.e2e
def test_ackmigrate_serve_acknowledges_commands_and_adds_up_every_workers_metrics(
    sandbox: Any, sandbox_env: dict[str, str], redis_client: Redis
) -> None:
    with ackmigrate_serve({**sandbox_env, "ACKMIGRATE_APPROVERS": "S0PLATFORM"}, workers=2) as url:
        sandbox.control.set_request_url(url + "/slack/events")
        answers = [sandbox.control.slash("U0ALICE", "C0PLATFORM", "precheck prod-hz-1") for _ in range(6)]
        assert all(a["status"] == 200 and not a["late"] for a in answers)
        shown = [m["text"] for m in sandbox.control.slack_ephemeral(channel="C0PLATFORM", user="U0ALICE")]
        assert len(shown) == 6 and all("Running prechecks for `prod-hz-1`" in text for text in shown)
        jobs = Queue(INTERACTIVE_QUEUE, connection=redis_client).jobs
        assert [job.func_name for job in jobs] == ["workers.jobs.precheck_for_user"] * 6
        with urllib.request.urlopen(url + "/metrics", timeout=5) as response:
            metrics = response.read().decode()
        total = re.search(r'^ackmigrate_commands_total\{subcommand="precheck"\} ([0-9.]+)$', metrics, re.MULTILINE)
        assert total is not None and float(total.group(1)) == 6.0
