"""The real pieces for end-to-end tests: the sandbox, a private Redis, `ackmigrate serve`, `ackmigrate worker`.

A `Stack` is what one test module shares: every test uses its own cluster (the sandbox and Redis are
per-cluster in every way that matters), so one serve + worker pair serves the whole module. People act
through the Slack stand-in (`slash`, `click`) exactly as in Slack; what is asserted is what they and
operators see: the channel, the thread, private answers, the record, the calls the cloud received.

Set E2E_LOG_DIR=path to keep the serve and worker logs when a journey needs explaining.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import redis

from cli.local_redis import RedisServer, free_port
from sandbox.ack import RETIRED_ACTIONS
from sandbox.runtime import Sandbox
from workers.audit import AuditLog
from workers.cloud import CloudClients
from workers.config import Settings
from workers.domain.records import Kind, Record
from workers.lease import Leases
from workers.store import RecordStore

ACKMIGRATE = str(Path(sys.executable).with_name("ackmigrate"))
CHANNEL = "C0PLATFORM"
ALICE, BOB, CAROL, DAVE = "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"
BUCKET = "ack-migrate-hz"
START_TIMEOUT_S = 30.0

FAST = {"ACKMIGRATE_POLL_INTERVAL": "0.2", "ACKMIGRATE_LEASE_TTL": "3", "ACKMIGRATE_RECONCILE_INTERVAL": "1"}
"""Polls, leases and sweeps short enough that a journey (and a replaced worker) takes seconds."""

T = TypeVar("T")


def _log_file(name: str) -> Any:
    directory = os.environ.get("E2E_LOG_DIR")
    if not directory:
        return open(os.devnull, "ab")  # noqa: SIM115 - closed by the caller once the process started
    Path(directory).mkdir(parents=True, exist_ok=True)
    return open(Path(directory) / name, "ab")  # noqa: SIM115


class Workers:
    """`ackmigrate worker` processes, each in its own session so a kill takes its scheduler too."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = {**os.environ, **FAST, **env}
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, **env: str) -> subprocess.Popen[bytes]:
        with _log_file(f"worker-{len(self.processes) + 1}.log") as log:
            process = subprocess.Popen([ACKMIGRATE, "worker"], env={**self.env, **env}, start_new_session=True,
                                       stdout=subprocess.DEVNULL, stderr=log)
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL: no cleanup, no goodbye — the worker and its scheduler vanish mid-job."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        """SIGTERM, as an orchestrator stops a worker; SIGKILL if it does not go within 10 s."""
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill(process)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill(process)

    @property
    def alive(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.processes if p.poll() is None]


@contextmanager
def ackmigrate_serve(env: dict[str, str], *, workers: int = 2) -> Iterator[str]:
    """`ackmigrate serve` (gunicorn and all) on a free port; yields its base URL once /healthz says ready.

    Its logs go to a file, never to a pipe nobody reads (a full pipe would stall the bot mid-test).
    """
    with serve_process(env, workers=workers) as (url, _):
        yield url


@contextmanager
def serve_process(
    env: dict[str, str], *, workers: int = 2, log_path: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`ackmigrate serve` and its process (for its memory, or its log at `log_path` when a test reads it)."""
    port = free_port()
    with (log_path.open("ab") if log_path is not None else _log_file("serve.log")) as log:
        process = subprocess.Popen(
            [ACKMIGRATE, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            env={**os.environ, **env}, stdout=log, stderr=log,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield url, process
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen[Any]) -> None:
    """SIGTERM, as an orchestrator stops a pod; SIGKILL only if it has not gone in 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ackmigrate serve exited with {process.returncode} (E2E_LOG_DIR keeps its log)")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"ackmigrate serve did not become healthy at {url} within {START_TIMEOUT_S:.0f} s")


def wait_for(condition: Callable[[], T | None], *, timeout_s: float = 45.0, what: str = "") -> T:
    """Poll until `condition()` is truthy and return it; Redis restarting in a test counts as 'not yet'."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            result = condition()
            if result:
                return result
        except (redis.ConnectionError, AssertionError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout_s} s: {what or condition}")
        time.sleep(0.1)


@dataclass
class Stack:
    """The running pieces of one module, and the ways a test acts and looks through them."""

    sandbox: Sandbox
    redis_server: RedisServer
    env: dict[str, str]
    workers: Workers
    bot_url: str = ""
    clusters: list[str] = field(default_factory=list)

    @property
    def control(self) -> Any:
        return self.sandbox.control

    @property
    def redis_url(self) -> str:
        return self.redis_server.url

    @property
    def store(self) -> RecordStore:
        return RecordStore(redis.Redis.from_url(self.redis_url))

    @property
    def leases(self) -> Leases:
        return Leases(redis.Redis.from_url(self.redis_url), ttl_s=float(FAST["ACKMIGRATE_LEASE_TTL"]))

    def audit(self) -> list[dict[str, Any]]:
        """The audit log as `ackmigrate audit --json` prints it, oldest first."""
        return [entry.to_dict() for entry in AuditLog(redis.Redis.from_url(self.redis_url)).read()]

    def process_env(self) -> dict[str, str]:
        """The environment an operator's terminal has for `ackmigrate status|audit` against this stack."""
        return {**os.environ, **self.env}

    # --- the world ---------------------------------------------------------------------------------

    def new_cluster(self, name: str, **spec: Any) -> dict[str, str]:
        """A dedicated cluster ready to migrate (bucket granted), unless `spec` says otherwise."""
        spec.setdefault("migration", {"duration_s": 3})
        spec.setdefault("oss_granted_buckets", [BUCKET])
        cluster: dict[str, str] = self.control.create_cluster(name=name, **spec)
        self.clusters.append(cluster["cluster_id"])
        return cluster

    def requested(self, name: str, **spec: Any) -> tuple[str, str, str]:
        """Alice asks to migrate a new cluster; (cluster id, record id, request message ts) once it is posted."""
        cluster_id = self.new_cluster(name, **spec)["cluster_id"]
        self.slash(ALICE, f"migrate {name} --bucket {BUCKET}")
        record = self.posted_request(cluster_id)
        return cluster_id, record.id, str(record.message_ts)

    def migrate_calls(self, cluster_id: str) -> list[dict[str, Any]]:
        return [c for c in self.control.calls(service="ack", action="MigrateCluster") if cluster_id in c["path"]]

    @contextmanager
    def workers_with(self, **env: str) -> Iterator[None]:
        """The module's workers replaced by one started with `env` (e.g. a short approval TTL), and back."""
        for process in self.workers.alive:
            self.workers.stop(process)
        special = self.workers.start(**env)
        try:
            yield
        finally:
            self.workers.stop(special)
            self.workers.start()

    # --- people ------------------------------------------------------------------------------------

    def slash(self, user: str, text: str, channel: str = CHANNEL) -> dict[str, Any]:
        answer: dict[str, Any] = self.control.slash(user, channel, text)
        assert answer["status"] == 200 and not answer["late"], answer
        return answer

    def click(self, user: str, message_ts: str, action_id: str, channel: str = CHANNEL) -> dict[str, Any]:
        answer: dict[str, Any] = self.control.click(user, channel, message_ts, action_id)
        assert answer["status"] == 200, answer
        return answer

    def post_signed(self, payload: dict[str, Any]) -> int:
        """An interactivity payload signed as Slack signs it, straight to the bot (e.g. a view submission,
        or a click from a client still showing an old copy of a message)."""
        return self.post_signed_answer(payload)[0]

    def post_signed_answer(self, payload: dict[str, Any]) -> tuple[int, str]:
        """The same, with the bot's answer body (a view submission's `response_action`)."""
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        stamp = str(int(time.time()))
        secret = self.env["SLACK_SIGNING_SECRET"].encode()
        signature = "v0=" + hmac.new(secret, f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            self.bot_url + "/slack/events", data=body.encode(), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": stamp,
                     "X-Slack-Signature": signature},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status), response.read().decode()

    # --- what people see ---------------------------------------------------------------------------

    def channel(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.control.slack_messages(CHANNEL)
        return messages

    def thread(self, message_ts: str) -> list[dict[str, Any]]:
        """The replies under a message, oldest first (the parent left out)."""
        return [m for m in self.control.slack_messages(CHANNEL, thread_ts=message_ts) if m.get("ts") != message_ts]

    def thread_texts(self, message_ts: str) -> list[str]:
        return [str(m.get("text", "")) for m in self.thread(message_ts)]

    def message(self, message_ts: str) -> dict[str, Any]:
        return next(m for m in self.channel() if m.get("ts") == message_ts)

    def private(self, user: str) -> list[str]:
        return [str(m.get("text", "")) for m in self.control.slack_ephemeral(channel=CHANNEL, user=user)]

    def record(self, cluster_id: str, kind: Kind = Kind.MIGRATION) -> Record | None:
        """The newest request of that kind for the cluster, if any."""
        return next((r for r in self.store.for_cluster(cluster_id) if r.kind is kind), None)

    def posted_request(self, cluster_id: str, kind: Kind = Kind.MIGRATION, timeout_s: float = 60.0) -> Record:
        """Wait for the request message to be in the channel; the record (with its message_ts)."""
        def posted() -> Record | None:
            record = self.record(cluster_id, kind)
            if record is None or record.message_ts is None:
                return None
            return record if any(m.get("ts") == record.message_ts for m in self.channel()) else None

        return wait_for(posted, timeout_s=timeout_s, what=f"the {kind} request message for {cluster_id}")

    def settled(self, record_id: str) -> bool:
        """Terminal, every thread reply delivered and the parent redrawn: the channel shows the record."""
        store = self.store
        return store.get(record_id).terminal and not store.pending_replies(record_id) \
            and record_id not in store.dirty_messages()

    # --- kubectl, as an operator runs it ----------------------------------------------------------

    def kubectl(self, cluster_id: str, *args: str) -> str:
        """Run the real kubectl with the kubeconfig ACK's DescribeClusterUserKubeconfig hands out."""
        binary = shutil.which("kubectl")
        if binary is None:
            raise AssertionError("kubectl is not installed: install Debian's kubernetes-client "
                                 "(apt-get install kubernetes-client); these tests need the real kubectl")
        settings = Settings.from_env(self.env)
        config = CloudClients.from_settings(settings, settings.region).ack.user_kubeconfig(cluster_id).config
        with tempfile.TemporaryDirectory() as home:
            path = Path(home) / "config"
            path.write_text(config)
            done = subprocess.run([binary, "--kubeconfig", str(path), "--cache-dir", f"{home}/cache", *args],
                                  capture_output=True, text=True, timeout=60, env={**os.environ, "HOME": home})
        assert done.returncode == 0, done.stderr
        return done.stdout


@contextmanager
def running_stack(*, worker_count: int = 1, redis_persistence: bool = False, **env: str) -> Iterator[Stack]:
    """Sandbox, a private Redis, `ackmigrate serve` and `worker_count` workers, all stopped afterwards.

    `redis_persistence` (append-only file, fsync always) lets a test restart Redis and keep every record.
    """
    redis_server = RedisServer(persistence=redis_persistence)
    redis_server.start()
    try:
        with stack_on_redis(redis_server, {"REDIS_URL": redis_server.url}, worker_count=worker_count,
                            **env) as stack:
            yield stack
    finally:
        redis_server.close()


@contextmanager
def stack_on_redis(redis_server: Any, redis_env: dict[str, str], *, worker_count: int = 1,
                   stack_class: type[Stack] = Stack, **env: str) -> Iterator[Stack]:
    """Sandbox, `ackmigrate serve` and workers on a Redis the caller runs (`redis_env` says how to reach it)."""
    sandbox = Sandbox(scenario="empty")
    sandbox.start()
    workers: Workers | None = None
    try:
        sandbox.control.create_bucket(BUCKET)
        stack_env = {**sandbox.env(), **redis_env, "ACKMIGRATE_APPROVERS": "S0PLATFORM", **FAST, **env}
        workers = Workers(stack_env)
        stack = stack_class(sandbox=sandbox, redis_server=redis_server, env=stack_env, workers=workers)
        with ackmigrate_serve(stack_env) as url:
            stack.bot_url = url
            sandbox.control.set_request_url(url + "/slack/events")
            for _ in range(worker_count):
                workers.start()
            yield stack
            # Every journey runs against a sandbox that refuses ACK's decommissioned APIs; none may call them.
            retired = [c for c in sandbox.control.calls(service="ack") if c["action"] in RETIRED_ACTIONS]
            assert retired == [], f"decommissioned ACK APIs were called: {retired}"
    finally:
        if workers is not None:
            workers.stop_all()
        sandbox.stop()


def assert_thread_told_every_stage_once(texts: list[str], cluster_name: str) -> None:
    """A migration's thread as people should read it: stages 1-5 in order, the success last, nothing twice."""
    stages = [text.split(":")[0] for text in texts if text.startswith("Stage ")]
    assert stages == [f"Stage {n}/5" for n in range(1, 6)], "\n".join(texts)
    assert texts[-1].startswith(f"✅ {cluster_name} is now ACK Pro"), texts
    assert len(texts) == len(set(texts)), f"a reply was posted twice: {texts}"


def reason_submitted(user: str, view: dict[str, Any], reason: str) -> dict[str, Any]:
    """What Slack sends when `user` types `reason` in the Reject modal and presses Reject (or what a crafted
    request claims it sent: Slack's client would hold the dialog's max_length)."""
    return {
        "type": "view_submission",
        "team": {"id": "T0SANDBOX", "domain": "sandbox"},
        "user": {"id": user, "team_id": "T0SANDBOX"},
        "api_app_id": "A0ACKMIGRATE",
        "view": {**view, "state": {"values": {"reason": {"reason_input": {
            "type": "plain_text_input", "value": reason}}}}},
    }


def buttons(message: dict[str, Any]) -> list[str]:
    """The action_ids of the buttons a message shows, in order."""
    return [str(element.get("action_id")) for block in message.get("blocks") or [] if block.get("type") == "actions"
            for element in block.get("elements") or [] if element.get("type") == "button"]


def header(message: dict[str, Any]) -> str:
    return next((str(b["text"]["text"]) for b in message.get("blocks") or [] if b.get("type") == "header"), "")
