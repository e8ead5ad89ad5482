"""`ackmigrate demo`: the whole journey, offline, narrated in the terminal.

It runs the real pieces exactly as production does — `ackmigrate serve` and `ackmigrate worker` as
processes, a Redis, and the sandbox in place of Alibaba Cloud and Slack — and plays two people in
#platform-ops: Alice (SRE) asks, Bob (platform lead) approves. Every Slack message is shown as text as it
appears. The demo checks each step really happened and exits non-zero, naming the step, if one did not.

It never touches a Redis it did not start (a real deployment's queues may live on localhost:6379):
it starts a private `redis-server`, and only without one installed falls back to `REDIS_URL`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import redis

from cli.local_redis import RedisServer, free_port
from sandbox.ack import RETIRED_ACTIONS, kubeconfig
from sandbox.processes import stop_group
from sandbox.runtime import Sandbox
from sandbox.scenario import DEFAULT_MIGRATION
from sandbox.slack_render import render_message_text
from workers.ui import ids

CHANNEL = "C0PLATFORM"
ALICE, BOB = "U0ALICE", "U0BOB"
BLOCKED_CLUSTER = "prod-hz-old"
READY_CLUSTER = "prod-hz-ready"
BUCKET = "ack-migrate-hz"
SPEED = 6.0
"""The sandbox's clock runs this many times faster than the wall clock. With the default scenario's
migration shortened to 75 simulated seconds (a real one takes about 10–15 minutes), it lasts about 13
real seconds, and the whole journey under a minute."""

STEP_TIMEOUT_S = 45.0
T = TypeVar("T")


class DemoStepFailed(RuntimeError):
    """A step of the journey did not happen; the message says which and what was seen instead."""


class Narrator:
    """Prints the story: elapsed time on the left, who said what, Slack messages as indented text."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.colour = sys.stdout.isatty() and os.environ.get("NO_COLOR") is None

    def _stamp(self) -> str:
        elapsed = int(time.monotonic() - self.started)
        return f"[{elapsed // 60:02d}:{elapsed % 60:02d}]"

    def _style(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour else text

    def chapter(self, title: str) -> None:
        print()
        print(self._style(f"── {title} " + "─" * max(0, 70 - len(title)), "1"))

    def say(self, text: str) -> None:
        print(f"{self._stamp()} {text}", flush=True)

    def person(self, who: str, text: str) -> None:
        self.say(self._style(f"@{who}", "36") + f" in #platform-ops: {text}")

    def slack(self, label: str, message: dict[str, Any]) -> None:
        self.say(self._style(label, "33"))
        body = render_message_text(message) or "(empty message)"
        print(textwrap.indent(body, "         │ "), flush=True)


def run_demo() -> int:
    """Play the journey; 0 when every step happened, 1 (with the failed step named) otherwise."""
    narrator = Narrator()
    print("ackmigrate demo — migrating an ACK dedicated cluster to ACK Pro, offline, against the sandbox")
    try:
        with ExitStack() as stack:
            world = stack.enter_context(_stack(narrator))
            Journey(narrator, world).play()
    except DemoStepFailed as failure:
        print(f"\nDEMO FAILED: {failure}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    narrator.say("Every step happened. All processes stopped.")
    return 0


class DemoWorld:
    """What the journey talks to: the sandbox (cloud and Slack) and the Redis the bot and worker share."""

    def __init__(self, sandbox: Sandbox, redis_url: str, workdir: Path) -> None:
        self.sandbox = sandbox
        self.control = sandbox.control
        self.redis_url = redis_url
        self.workdir = workdir


@contextmanager
def _stack(narrator: Narrator) -> Iterator[DemoWorld]:
    narrator.chapter("Starting everything")
    with ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="ackmigrate-demo-"))
        stack.callback(shutil.rmtree, workdir, True)
        redis_url = _start_redis(narrator, stack)
        sandbox = Sandbox(scenario="default", speed=SPEED).start()
        stack.callback(sandbox.stop)
        narrator.say(f"Sandbox: simulated ACK, ECS, SLB, RAM, OSS, Kubernetes and Slack on {sandbox.host}")
        simulated = DEFAULT_MIGRATION["duration_s"]
        narrator.say(f"Clock: simulated time runs {SPEED:g}× faster than real time, and the simulated migration "
                     f"is shortened to {simulated} s. A real one takes about 10–15 minutes (as the request "
                     f"message says); here it takes about {simulated / SPEED:.0f} s, so the whole demo runs in "
                     f"under a minute.")
        port = free_port()
        # Alice is an approver too, for this demo: so her refusal shows the two-person rule itself.
        env = {**os.environ, **sandbox.env(), "REDIS_URL": redis_url,
               "ACKMIGRATE_APPROVERS": f"S0PLATFORM,{ALICE}", "ACKMIGRATE_POLL_INTERVAL": "1",
               "ACKMIGRATE_CHANNELS": CHANNEL, "PYTHONUNBUFFERED": "1"}
        logs = workdir / "logs"
        logs.mkdir()
        _start_process(stack, narrator, "bot", ["serve", "--host", "127.0.0.1", "--port", str(port)], env, logs)
        _start_process(stack, narrator, "worker", ["worker"], env, logs)
        _wait_http(f"http://127.0.0.1:{port}/healthz", "the bot's /healthz", logs)
        sandbox.control.set_request_url(f"http://127.0.0.1:{port}/slack/events")
        narrator.say(f"Bot: ackmigrate serve on :{port} (Slack delivers commands and clicks there); worker: "
                     "ackmigrate worker. Approvers: @platform-leads (Bob, Carol) and, for this demo, Alice. "
                     "Two-person rule on.")
        yield DemoWorld(sandbox, redis_url, workdir)
        narrator.chapter("Stopping")


def _start_redis(narrator: Narrator, stack: ExitStack) -> str:
    if shutil.which("redis-server"):
        server = RedisServer()
        server.start()
        stack.callback(server.close)
        narrator.say(f"Redis: a private redis-server on port {server.port} (removed at the end)")
        return server.url
    url = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError as error:
        raise DemoStepFailed(f"no redis-server installed and none answers on {url} ({error}); "
                             "run `make tools`") from None
    narrator.say(f"Redis: redis-server is not installed, using the one answering on {url}")
    return url


def _ackmigrate() -> list[str]:
    script = Path(sys.executable).with_name("ackmigrate")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from cli.main import main; main()"]


def _start_process(stack: ExitStack, narrator: Narrator, name: str, args: list[str], env: dict[str, str],
                   logs: Path) -> None:
    log = (logs / f"{name}.log").open("wb")
    process = subprocess.Popen([*_ackmigrate(), *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)

    def stop() -> None:
        stop_group(process)
        log.close()

    stack.callback(stop)


def _wait_http(url: str, what: str, logs: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    tails = "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in sorted(logs.glob("*.log")))
    raise DemoStepFailed(f"{what} did not answer within 30 s\n{tails}")


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = STEP_TIMEOUT_S) -> T:
    """Poll until `probe` returns something; the demo fails naming `what` if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(0.2)
    raise DemoStepFailed(f"{what} did not happen within {timeout:.0f} s")


def _buttons(message: dict[str, Any]) -> set[str]:
    ids: set[str] = set()
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                ids.add(str(element.get("action_id")))
    return ids


class Journey:
    """The story, one chapter per step a platform team takes."""

    def __init__(self, narrator: Narrator, world: DemoWorld) -> None:
        self.n = narrator
        self.world = world
        self.control = world.control
        self.seen_private = 0
        self.seen_thread: set[str] = set()

    def play(self) -> None:
        self.precheck_blocked_cluster()
        parent = self.request_migration()
        self.approve(parent)
        self.follow_thread(parent)
        nodes = self.show_nodes("After the migration the old masters no longer report (kubectl get nodes):")
        if not any(" NotReady " in line and " master " in line for line in nodes):
            raise DemoStepFailed("kubectl did not show the old masters NotReady after the migration")
        cleanup = self.request_cleanup(parent)
        self.approve_cleanup(cleanup)
        nodes = self.show_nodes("The old masters are gone from the cluster (kubectl get nodes):")
        if any(" master " in line for line in nodes):
            raise DemoStepFailed("kubectl still shows master nodes after the cleanup")
        self.check_exactly_once()
        self.check_no_retired_api()

    def check_exactly_once(self) -> None:
        calls = self.control.calls(service="ack", action="MigrateCluster")
        if len(calls) != 1:
            raise DemoStepFailed(f"the cloud received {len(calls)} MigrateCluster calls, not exactly one")
        self.n.say("The sandbox's call log shows exactly one MigrateCluster call for the whole journey.")

    def check_no_retired_api(self) -> None:
        retired = [c["action"] for c in self.control.calls(service="ack") if c["action"] in RETIRED_ACTIONS]
        if retired:
            raise DemoStepFailed(f"the journey called decommissioned ACK APIs: {', '.join(sorted(set(retired)))}")
        self.n.say("…and no call to an ACK API that Alibaba has decommissioned.")

    # --- steps -----------------------------------------------------------------------------------------

    def precheck_blocked_cluster(self) -> None:
        self.n.chapter(f"1. Alice checks {BLOCKED_CLUSTER}, which is not ready")
        self._slash(ALICE, f"precheck {BLOCKED_CLUSTER}")
        answer = self._private_answer(ALICE, "the precheck answer for " + BLOCKED_CLUSTER,
                                      lambda m: "1.14" in render_message_text(m))
        if "❌" not in render_message_text(answer):
            raise DemoStepFailed(f"the precheck of {BLOCKED_CLUSTER} did not report a failed check")

    def request_migration(self) -> dict[str, Any]:
        self.n.chapter(f"2. Alice asks to migrate {READY_CLUSTER}")
        self._slash(ALICE, f"migrate {READY_CLUSTER} --bucket {BUCKET}")
        self._private_answer(ALICE, "the acknowledgement of the migrate command", lambda m: True)
        parent = wait_for("the request message with an Approve button in #platform-ops",
                          lambda: self._channel_message_with(ids.APPROVE_MIGRATION))
        self.n.slack("ackmigrate posted in #platform-ops (everyone sees it):", parent)
        return parent

    def approve(self, parent: dict[str, Any]) -> None:
        self.n.chapter("3. Alice is an approver, but not of her own request (two-person rule); Bob approves")
        self.n.person("alice", "clicks [ Approve ] on her own request")
        self.control.click(ALICE, CHANNEL, parent["ts"], ids.APPROVE_MIGRATION)
        self._private_answer(ALICE, "the two-person rule refusing Alice's approval of her own request",
                             lambda m: "two-person rule" in render_message_text(m))
        self.n.person("bob", "clicks [ Approve ] and confirms")
        self.control.click(BOB, CHANNEL, parent["ts"], ids.APPROVE_MIGRATION)

    def follow_thread(self, parent: dict[str, Any]) -> None:
        self.n.chapter("4. The migration runs; the thread fills with its stages, then its verification")

        def finished() -> dict[str, Any] | None:
            for reply in self._new_thread_replies(parent["ts"]):
                self.n.slack("ackmigrate replied in the thread" +
                             (" (also sent to the channel)" if reply.get("reply_broadcast") else "") + ":", reply)
                text = render_message_text(reply)
                if reply.get("reply_broadcast") and any(mark in text for mark in ("✅", "❌", "⚠️")):
                    return reply
            return None

        result = wait_for("the migration's result in the thread", finished, timeout=60)
        if "❌" in render_message_text(result):
            raise DemoStepFailed("the migration of the ready cluster failed")
        if "⚠️" in render_message_text(result):
            raise DemoStepFailed("the ready cluster migrated but did not pass its verification")
        updated = self._message(parent["ts"])
        self.n.slack("The request message, updated in place:", updated)

    def request_cleanup(self, parent: dict[str, Any]) -> dict[str, Any]:
        self.n.chapter("5. Alice asks to clean up the old masters")
        holder = wait_for("a [ Clean up old masters ] button",
                          lambda: self._any_message_with(ids.REQUEST_CLEANUP, parent["ts"]))
        self.n.person("alice", "clicks [ Clean up old masters ]")
        self.control.click(ALICE, CHANNEL, holder["ts"], ids.REQUEST_CLEANUP)
        cleanup = wait_for("the cleanup request with an Approve button",
                           lambda: self._any_message_with(ids.APPROVE_CLEANUP, parent["ts"]))
        self.n.slack("ackmigrate posted the cleanup request:", cleanup)
        return cleanup

    def approve_cleanup(self, cleanup: dict[str, Any]) -> None:
        self.n.chapter("6. Bob approves the cleanup")
        self.n.person("bob", "clicks [ Approve ] and confirms")
        self.control.click(BOB, CHANNEL, cleanup["ts"], ids.APPROVE_CLEANUP)
        thread = cleanup.get("thread_ts") or cleanup["ts"]

        def done() -> dict[str, Any] | None:
            for reply in self._new_thread_replies(thread):
                self.n.slack("ackmigrate replied in the thread:", reply)
                if "deleted" in render_message_text(reply).lower():
                    return reply
            return None

        wait_for("the cleanup's result in the thread", done)

    def show_nodes(self, title: str) -> list[str]:
        cluster = next(c for c in self.world.sandbox.world.clusters.values() if c.name == READY_CLUSTER)
        config = self.world.workdir / "kubeconfig"
        server = f"{self.world.sandbox.endpoints['kubernetes']}/clusters/{cluster.cluster_id}"
        config.write_text(kubeconfig(cluster, server))
        self.n.say(title)
        if shutil.which("kubectl") is None:
            raise DemoStepFailed("kubectl is not installed: run `make tools` (Debian package kubernetes-client)")
        shown = subprocess.run(["kubectl", "--kubeconfig", str(config), "get", "nodes"],
                               capture_output=True, text=True, timeout=30)
        if shown.returncode != 0:
            raise DemoStepFailed(f"kubectl get nodes failed: {shown.stderr.strip()}")
        print(textwrap.indent(shown.stdout.rstrip(), "         "), flush=True)
        return shown.stdout.splitlines()[1:]

    # --- looking at Slack --------------------------------------------------------------------------------

    def _slash(self, user: str, text: str) -> None:
        self.n.person(user.removeprefix("U0").lower(), f"/ackmigrate {text}")
        answer = self.control.slash(user, CHANNEL, text)
        if answer.get("status") != 200:
            raise DemoStepFailed(f"the bot answered /ackmigrate {text} with HTTP {answer.get('status')}")

    def _private_answer(self, user: str, what: str, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            messages = self.control.slack_ephemeral(channel=CHANNEL, user=user)
            fresh = messages[self.seen_private:]
            self.seen_private = len(messages)
            for message in fresh:
                self.n.slack(f"ackmigrate, only visible to @{user.removeprefix('U0').lower()}:", message)
            matching = [m for m in fresh if wanted(m)]
            return matching[-1] if matching else None

        return wait_for(what, probe)

    def _channel_message_with(self, action_id: str) -> dict[str, Any] | None:
        for message in reversed(self.control.slack_messages(CHANNEL)):
            if action_id in _buttons(message):
                return message
        return None

    def _any_message_with(self, action_id: str, thread_ts: str) -> dict[str, Any] | None:
        found = self._channel_message_with(action_id)
        if found is not None:
            return found
        for message in reversed(self.control.slack_messages(CHANNEL, thread_ts=thread_ts)):
            if action_id in _buttons(message):
                return message
        return None

    def _message(self, ts: str) -> dict[str, Any]:
        for message in self.control.slack_messages(CHANNEL):
            if message["ts"] == ts:
                return message
        raise DemoStepFailed(f"the message {ts} disappeared from #platform-ops")

    def _new_thread_replies(self, thread_ts: str) -> list[dict[str, Any]]:
        replies = [m for m in self.control.slack_messages(CHANNEL, thread_ts=thread_ts) if m["ts"] != thread_ts]
        fresh = [m for m in replies if m["ts"] not in self.seen_thread]
        self.seen_thread.update(m["ts"] for m in fresh)
        return fresh
