"""`ackmigrate sandbox`: every simulated endpoint in one process, until SIGINT or SIGTERM.

It prints where each service listens and writes the environment lines that point the bot and the
workers at them, so a local stack is `ackmigrate sandbox --env-file .env.sandbox` in one terminal and the
bot and a worker (`ackmigrate --env-file .env.sandbox serve`, `… worker`) in others — or all of them at
once with `honcho -f deploy/Procfile.sandbox start`.

The command (cli.sandbox) starts a private `redis-server` first (a free port, a temporary directory,
gone when the sandbox stops) and hands its URL here, to be named in the env file as REDIS_URL, so nothing
started against the sandbox ever falls back to localhost:6379, which may be someone else's Redis.
`--no-redis` leaves REDIS_URL to the operator.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType

from sandbox.runtime import Sandbox
from sandbox.scenario import SCENARIOS
from sandbox.world import SpecError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

PLATFORM_LEADS = "S0PLATFORM"
PRODUCTION_POLL_INTERVAL_S = 15.0
MIN_POLL_INTERVAL_S = 0.5


def run_sandbox(
    *,
    host: str,
    port: int,
    env_file: str | None,
    speed: float,
    scenario: str,
    slack_request_url: str | None,
    redis_url: str | None = None,
) -> int:
    """Serve until asked to stop; exit 0 after a clean stop, 2 for bad arguments, 1 when a port is taken.

    `redis_url`: the private Redis the command started for this sandbox, written to the env file."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if scenario not in SCENARIOS:
        print(f"ackmigrate sandbox: unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        box = Sandbox(host=host, port=port, speed=speed, scenario=scenario, slack_request_url=slack_request_url)
    except SpecError as error:
        print(f"ackmigrate sandbox: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        box.start()
    except OSError as error:
        print(f"ackmigrate sandbox: cannot listen on {host} from port {port}: {error}", file=sys.stderr)
        return EXIT_FAILED
    try:
        _announce(box, scenario=scenario, speed=speed, slack_request_url=slack_request_url)
        if redis_url:
            print(f"  {'redis':<11} {redis_url} (private, emptied when the sandbox stops)", flush=True)
        if env_file:
            write_env_file(Path(env_file), env_lines(box, redis_url=redis_url, speed=speed))
            hint = "" if redis_url else " (add your own REDIS_URL)"
            print(f"environment written to {env_file}{hint}", flush=True)
        _wait_for_stop_signal()
    finally:
        box.stop()
    print("sandbox stopped", flush=True)
    return EXIT_OK


def env_lines(box: Sandbox, *, redis_url: str | None, speed: float = 1.0) -> dict[str, str]:
    """The README's variables pointing at this sandbox, and its private Redis when it runs one.

    The simulated workspace's @platform-leads (Bob and Carol) approve, so a local stack can run the
    whole journey, and the workers poll a running migration as much faster as simulated time runs (the
    production 15 s, divided by the speed); settings already in the environment still win."""
    env = {"ACKMIGRATE_REGION": box.region, **box.env(), "ACKMIGRATE_APPROVERS": PLATFORM_LEADS,
           "ACKMIGRATE_POLL_INTERVAL": f"{max(MIN_POLL_INTERVAL_S, PRODUCTION_POLL_INTERVAL_S / speed):g}"}
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def write_env_file(path: Path, env: dict[str, str]) -> None:
    """Write atomically (temp file, then rename), so whoever waits for the file never reads half of it."""
    text = "# written by `ackmigrate sandbox`; valid while it runs\n"
    text += "".join(f"{key}={value}\n" for key, value in env.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as temp:
            temp.write(text)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _announce(box: Sandbox, *, scenario: str, speed: float, slack_request_url: str | None) -> None:
    """One line per service, then the control API and the scenario's clusters: what an operator needs."""
    lines = [f"ackmigrate sandbox: scenario {scenario}, simulated time x{speed:g}"]
    lines += [f"  {name:<11} {url}" for name, url in box.endpoints.items()]
    lines.append(f"  {'control':<11} {box.endpoints['ack']}/_sandbox/")
    if slack_request_url:
        lines.append(f"  simulated Slack users' commands and clicks go to {slack_request_url}")
    with box.world.lock:
        clusters = sorted(box.world.clusters.values(), key=lambda c: c.name)
        lines += [f"  cluster {c.name:<24} {c.cluster_id}" for c in clusters]
        lines += [f"  bucket  {b.name:<24} {b.region_id}" for b in box.world.buckets.values()]
    print("\n".join(lines), flush=True)


def _wait_for_stop_signal() -> None:
    """Block until SIGINT or SIGTERM; the previous handlers are restored afterwards."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        print(f"received {signal.Signals(signum).name}, stopping", flush=True)
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(timeout=1.0):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
