"""`ackmigrate socket`: the real process, connected to the Slack stand-in over Socket Mode, answers people.

Nothing is set up for HTTP: the stand-in has no request URL, so a command reaches the bot only as an
envelope on the WebSocket the bot opened with its app-level token.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from rq import Queue

from bot.limits import MAX_BODY_BYTES
from tests.bot.records import awaiting_request
from tests.e2e.processes import ACKMIGRATE, stop_process
from workers.queues import ALL_QUEUES

CONNECT_TIMEOUT_S = 30.0


@contextmanager
def ackmigrate_socket(sandbox: Any, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start `ackmigrate socket`; yield once the stand-in has its Socket Mode connection."""
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [str(ACKMIGRATE), "socket"], env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=stderr
        )
    try:
        _wait_connected(sandbox, process, log)
        yield process
    finally:
        stop_process(process)


def _wait_connected(sandbox: Any, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    while not sandbox.control.request("GET", "/slack/config")["socket_connections"]:
        if process.poll() is not None:
            raise AssertionError(f"ackmigrate socket exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"ackmigrate socket did not connect within {CONNECT_TIMEOUT_S:.0f} s:\n"
                                 f"{log.read_text()[-3000:]}")
        time.sleep(0.1)


@pytest.fixture
def socket_bot(sandbox: Any, sandbox_env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    with ackmigrate_socket(sandbox, {**sandbox_env, "ACKMIGRATE_APPROVERS": "S0PLATFORM"}, tmp_path / "bot.log") as bot:
        yield bot


def private_texts(sandbox: Any, user: str) -> list[str]:
    return [m["text"] for m in sandbox.control.slack_ephemeral(channel="C0PLATFORM", user=user)]


@pytest.mark.e2e
def test_help_over_socket_mode_is_shown_privately_to_the_person_who_asked(
    sandbox: Any, socket_bot: subprocess.Popen[bytes]
) -> None:
    answer = sandbox.control.slash("U0ALICE", "C0PLATFORM", "help")

    assert answer["transport"] == "socket_mode"
    assert answer["status"] == 200 and not answer["late"]
    (shown,) = private_texts(sandbox, "U0ALICE")
    for subcommand in ("precheck", "migrate", "status", "cancel", "cleanup", "list"):
        assert f"/ackmigrate {subcommand}" in shown
    assert private_texts(sandbox, "U0BOB") == []
    assert sandbox.control.slack_messages("C0PLATFORM") == []


@pytest.mark.e2e
def test_status_over_socket_mode_shows_the_requests_in_flight(
    sandbox: Any, redis_client: Redis, socket_bot: subprocess.Popen[bytes]
) -> None:
    awaiting_request(redis_client, cluster_name="prod-hz-1")

    answer = sandbox.control.slash("U0DAVE", "C0PLATFORM", "status")

    assert answer["transport"] == "socket_mode"
    assert answer["status"] == 200 and not answer["late"]
    (shown,) = sandbox.control.slack_ephemeral(channel="C0PLATFORM", user="U0DAVE")
    assert shown["text"] == "1 in flight, 0 recent"
    assert "prod-hz-1" in str(shown["blocks"]) and "awaiting approval" in str(shown["blocks"])


@pytest.mark.e2e
def test_the_bot_reconnects_by_itself_when_slack_recycles_its_connection(
    sandbox: Any, socket_bot: subprocess.Popen[bytes]
) -> None:
    sandbox.socket_mode.close_connections()
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    while len(sandbox.control.calls(service="slack", action="apps.connections.open")) < 2 \
            or not sandbox.socket_mode.connected:
        assert time.monotonic() < deadline, "the bot did not reconnect"
        time.sleep(0.1)

    answer = sandbox.control.slash("U0ALICE", "C0PLATFORM", "help")

    assert answer["status"] == 200 and answer["transport"] == "socket_mode"
    (shown,) = private_texts(sandbox, "U0ALICE")
    assert "/ackmigrate migrate" in shown


@pytest.mark.e2e
def test_oversized_and_malformed_envelopes_are_dropped_with_a_log_line_and_the_bot_carries_on(
    sandbox: Any, sandbox_env: dict[str, str], redis_client: Redis, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    refused = [
        json.dumps({"envelope_id": "big", "type": "slash_commands", "payload": {"text": "a" * MAX_BODY_BYTES}}),
        json.dumps({"envelope_id": "list", "type": "interactive", "payload": [1, 2]}),
        json.dumps({"envelope_id": "number", "type": "slash_commands", "payload": 1}),
        json.dumps({"envelope_id": "user", "type": "interactive", "payload": {"type": "block_actions", "user": [1]}}),
        json.dumps({"envelope_id": "auth", "type": "events_api",  # a shape only Bolt itself trips over
                    "payload": {"type": "event_callback", "authorizations": "x", "event": {"type": "app_mention"}}}),
        json.dumps([1, 2]),
        "{not json",
    ]
    with ackmigrate_socket(sandbox, {**sandbox_env, "ACKMIGRATE_APPROVERS": "S0PLATFORM"}, log) as bot:
        hub = sandbox.socket_mode
        for text in refused:
            assert hub.send_raw(text)
        answer = sandbox.control.slash("U0ALICE", "C0PLATFORM", "help")  # queued behind them, answered all the same

        assert answer["status"] == 200 and answer["transport"] == "socket_mode"
        assert bot.poll() is None
        acked = {ack.get("envelope_id") for ack in hub.stray_acks}
    assert {"list", "number", "user", "auth"} <= acked  # acknowledged so Slack would not send them again
    text = log.read_text()
    assert text.count("refused a Socket Mode envelope") == len(refused), text[-3000:]
    assert "Traceback" not in text
    assert sum(redis_client.llen(f"rq:queue:{name}") for name in ALL_QUEUES) == 0


@pytest.mark.e2e
def test_the_modal_works_over_socket_mode_its_pickers_answered_in_the_envelopes_ack(
    sandbox: Any, redis_client: Redis, socket_bot: subprocess.Popen[bytes]
) -> None:
    answer = sandbox.control.slash("U0ALICE", "C0PLATFORM", "")
    assert answer["transport"] == "socket_mode" and answer["status"] == 200
    (view,) = [v for v in sandbox.control.slack_views() if v["view"]["callback_id"] == "ackmigrate_form"]

    shown = sandbox.control.view_options("U0ALICE", view["id"], "cluster_select", "")
    sandbox.control.view_pick("U0ALICE", view["id"], "cluster_select", "-")  # she picks "Loading…" itself
    refused = sandbox.control.view_submit("U0ALICE", view["id"])

    assert shown["transport"] == "socket_mode"
    assert [o["value"] for o in shown["options"]] == ["-"]  # loading: nothing in Redis, a refresh queued
    assert refused["transport"] == "socket_mode" and not refused["closed"]
    assert refused["errors"] == {"cluster": "Pick a cluster (if the list is still loading, open it again in a moment)."}
def test_socket_mode_starts_without_warnings_and_reports_itself_alive(
    sandbox: Any, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    with ackmigrate_socket(sandbox, sandbox_env, log):
        answer = sandbox.control.slash("U0ALICE", "C0PLATFORM", "help")
        deadline = time.monotonic() + CONNECT_TIMEOUT_S  # its first beat follows the connection within a second
        while (health := _health_socket(sandbox_env, tmp_path)).returncode != 0 and time.monotonic() < deadline:
            time.sleep(0.5)

    assert answer["status"] == 200
    assert health.returncode == 0, health.stderr
    assert "WARNING" not in log.read_text(), log.read_text()  # Bolt's "`token` will be unused" included


@pytest.mark.e2e
def test_health_socket_is_dead_when_no_socket_mode_bot_runs_here(sandbox_env: dict[str, str], tmp_path: Path) -> None:
    health = _health_socket(sandbox_env, tmp_path)

    assert health.returncode == 1
    assert "has not reported a connection" in health.stderr


def _health_socket(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ACKMIGRATE), "health", "socket"], env={**os.environ, **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.e2e
def test_opening_the_home_tab_over_socket_mode_queues_the_publish(
    sandbox: Any, redis_client: Redis, socket_bot: subprocess.Popen[bytes]
) -> None:
    answer = sandbox.control.request("POST", "/slack/app_home_opened", {"user": "U0BOB"})

    assert answer["transport"] == "socket_mode"
    assert answer["status"] == 200 and not answer["late"]
    queued = [(job.func_name, job.kwargs) for name in ALL_QUEUES for job in Queue(name, connection=redis_client).jobs]
    assert queued == [("workers.jobs.publish_home", {"user": "U0BOB", "trailing": False})]
