"""The local stack exactly as the README starts it: `honcho -f deploy/Procfile.sandbox start`.

honcho itself runs the Procfile (each process gets its own PORT: base, base + 100, base + 200), so what is
proved is the file a new user runs: the sandbox delivers Slack's requests to the port honcho gave the bot,
the bot and the worker find the sandbox's own Redis in the env file, and a person's slash command and
an approver's click come back as messages in the channel. Only the base port is chosen (`-p`), so that
parallel test runs do not collide; everything else is the Procfile's.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from sandbox.client import SandboxClient
from tests.e2e.processes import wait_for
from workers.config import load_dotenv

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HONCHO = BIN / "honcho"
CHANNEL = "C0PLATFORM"
START_TIMEOUT_S = 60.0  # a deadline for a loaded CI machine, not a performance target


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_base_port() -> int:
    """A base P with P..P+7 (the sandbox's services) and P+100 (the bot), P+200 (the worker) free."""
    for _ in range(200):
        base = random.randrange(20_000, 40_000, 10)
        if all(_free(p) for p in [*range(base, base + 8), base + 100, base + 200]):
            return base
    raise AssertionError("no free range of ports for the local stack")


@dataclass
class LocalStack:
    honcho: subprocess.Popen[bytes]
    env: dict[str, str]
    log: Path

    @property
    def control(self) -> Any:
        return SandboxClient(self.env["ACKMIGRATE_ACK_ENDPOINT"])


def _clean_environment() -> dict[str, str]:
    """A new user's shell with the venv activated: nothing that points ackmigrate anywhere."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ALIBABA_CLOUD_", "ACKMIGRATE_", "SLACK_", "REDIS_", "PORT"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # what `source .venv/bin/activate` does
    env["VIRTUAL_ENV"] = str(BIN.parent)
    return env


@pytest.fixture
def local_stack(tmp_path: Path) -> Iterator[LocalStack]:
    base = _free_base_port()
    log = tmp_path / "honcho.log"
    with log.open("wb") as out:
        honcho = subprocess.Popen(
            [str(HONCHO), "-f", str(ROOT / "deploy" / "Procfile.sandbox"), "start", "-p", str(base)],
            cwd=tmp_path, env=_clean_environment(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    env_file = tmp_path / ".env.sandbox"
    try:
        def bot_healthy() -> bool:
            assert honcho.poll() is None, f"honcho exited {honcho.returncode}:\n{log.read_text()[-4000:]}"
            return env_file.exists() and _get(f"http://127.0.0.1:{base + 100}/healthz") == 200

        _wait_telling(log, bot_healthy, "the bot of the local stack on its honcho PORT")

        def worker_alive() -> bool:  # the worker's own liveness probe, as Kubernetes would ask it
            return subprocess.run([str(BIN / "ackmigrate"), "--env-file", ".env.sandbox", "health", "worker"],
                                  cwd=tmp_path, env=_clean_environment(), capture_output=True,
                                  timeout=30).returncode == 0

        _wait_telling(log, worker_alive, "the worker of the local stack (its RQ heartbeat)")
        env: dict[str, str] = {}
        load_dotenv(env_file, environ=env)
        yield LocalStack(honcho=honcho, env=env, log=log)
    finally:
        if honcho.poll() is None:
            os.killpg(honcho.pid, signal.SIGINT)  # Ctrl-C, as a user stops it
            try:
                honcho.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(honcho.pid, signal.SIGKILL)
                honcho.wait()
        _stop_orphaned_redis(env_file)


def _stop_orphaned_redis(env_file: Path) -> None:
    """The sandbox's redis-server runs in a session of its own (so Ctrl-C leaves it to the sandbox to stop
    last): when the sandbox was killed instead (a stack too slow to stop), nothing else would stop it, and
    a redis-server would outlive the test run."""
    if not env_file.exists():
        return
    env: dict[str, str] = {}
    load_dotenv(env_file, environ=env)
    if "REDIS_URL" not in env:
        return
    with contextlib.suppress(redis.ConnectionError):  # refused: the sandbox stopped it, as it should
        redis.Redis.from_url(env["REDIS_URL"], socket_timeout=2).shutdown(nosave=True)


def _wait_telling(log: Path, condition: Callable[[], bool], what: str) -> None:
    """`wait_for` the stack; when it is late, the failure carries what honcho's processes printed (the only
    clue to why: a port taken, a process that crashed, a machine too loaded to start it in time)."""
    try:
        wait_for(condition, timeout_s=START_TIMEOUT_S, what=what)
    except AssertionError as late:
        raise AssertionError(f"{late}\nhoncho's output:\n{log.read_text()[-4000:]}") from late


def _get(url: str) -> int | None:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except (urllib.error.URLError, OSError):
        return None


def test_honcho_runs_the_local_stack_and_a_migration_goes_through_it(local_stack: LocalStack) -> None:
    stack = local_stack
    redis_url = stack.env["REDIS_URL"]
    assert redis.Redis.from_url(redis_url).ping() and not redis_url.startswith("redis://localhost:6379")

    answer = stack.control.slash("U0ALICE", CHANNEL, "migrate prod-hz-ready --bucket ack-migrate-hz")
    assert answer["status"] == 200 and not answer["late"], answer

    def request_message() -> dict[str, Any] | None:
        return next((m for m in stack.control.slack_messages(CHANNEL) if "prod-hz-ready" in str(m.get("text"))),
                    None)

    request = wait_for(request_message, timeout_s=START_TIMEOUT_S, what="the request message in #platform-ops")
    click = stack.control.click("U0BOB", CHANNEL, request["ts"], "approve_migration")
    assert click["status"] == 200, click

    def finished() -> bool:
        texts = [str(m.get("text")) for m in stack.control.slack_messages(CHANNEL, thread_ts=request["ts"])]
        return any("is now ACK Pro" in text for text in texts)

    wait_for(finished, timeout_s=START_TIMEOUT_S, what="'is now ACK Pro' in the request's thread")
    assert len(stack.control.calls(service="ack", action="MigrateCluster")) == 1


def test_ctrl_c_stops_every_process_and_the_private_redis(local_stack: LocalStack) -> None:
    redis_url = local_stack.env["REDIS_URL"]

    os.killpg(local_stack.honcho.pid, signal.SIGINT)
    local_stack.honcho.wait(timeout=30)

    log = local_stack.log.read_text()
    for process in ("sandbox.1", "web.1", "worker.1"):
        assert f"{process} stopped (rc=0)" in log or f"{process} stopped (rc=-2)" in log, log[-4000:]
    assert "Traceback" not in log, log[-4000:]
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(redis_url, socket_connect_timeout=1).ping()
        except redis.ConnectionError:
            break
        assert time.monotonic() < deadline, "the sandbox's Redis outlived the stack"
        time.sleep(0.2)
