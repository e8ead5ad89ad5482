"""`ackmigrate socket` hands work to RQ exactly as `serve` does, and refuses to start without its token."""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest
from redis import Redis
from rq import Queue

from tests.bot.harness import eventually
from tests.bot.serve_process import ACKMIGRATE
from workers.queues import INTERACTIVE_QUEUE


@pytest.mark.e2e
def test_socket_mode_bot_answers_a_slash_command_and_queues_its_job(
    sandbox: Any, sandbox_env: dict[str, str], redis_client: Redis
) -> None:
    env = {**os.environ, **sandbox_env, "ACKMIGRATE_APPROVERS": "S0PLATFORM"}
    env.pop("SLACK_SIGNING_SECRET", None)  # Socket Mode needs none: the app token opens the connection
    process = subprocess.Popen([str(ACKMIGRATE), "socket"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        eventually(lambda: sandbox.control.request("GET", "/slack/config").get("socket_connections"), timeout_s=20)
        answer = sandbox.control.slash("U0ALICE", "C0PLATFORM", "precheck prod-hz-1 --bucket ack-migrate-hz")
        assert not answer.get("late")
        (shown,) = sandbox.control.slack_ephemeral(channel="C0PLATFORM", user="U0ALICE")
        assert "Running prechecks for `prod-hz-1`" in shown["text"]
        (job,) = Queue(INTERACTIVE_QUEUE, connection=redis_client).jobs
        assert job.func_name == "workers.jobs.precheck_for_user"
        assert job.kwargs["bucket"] == "ack-migrate-hz"
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_socket_mode_without_an_app_token_stops_with_one_clear_line(sandbox_env: dict[str, str]) -> None:
    env = {**os.environ, **sandbox_env}
    env.pop("SLACK_APP_TOKEN", None)
    done = subprocess.run([str(ACKMIGRATE), "socket"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == "ackmigrate: configuration error: SLACK_APP_TOKEN is not set"
