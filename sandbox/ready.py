"""`ackmigrate sandbox-ready ENV_FILE`: wait until the sandbox that writes ENV_FILE answers, with its Redis.

A Procfile runner (honcho) starts every process at once, so the bot and the worker of the local stack
would read the env file before the sandbox has written it, or read the one a previous run left behind.
Each waits with this first: it re-reads the file on every try and returns only once the sandbox's
control API and the Redis the file names both answer — so a stale file, whose ports nobody serves,
is waited out until the new sandbox has replaced it.
"""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import redis

EXIT_READY = 0
EXIT_TIMEOUT = 1
POLL_S = 0.2


def wait_until_ready(env_file: str, *, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    reason: str | None = f"{env_file} does not exist yet"
    while time.monotonic() < deadline:
        reason = _not_ready(Path(env_file))
        if reason is None:
            return EXIT_READY
        time.sleep(POLL_S)
    print(f"ackmigrate sandbox-ready: the sandbox did not answer within {timeout_s:g} s: {reason}", file=sys.stderr)
    return EXIT_TIMEOUT


def _not_ready(path: Path) -> str | None:
    """None when ready, else why not (for the message after the timeout)."""
    if not path.is_file():
        return f"{path} does not exist yet"
    env = _read(path)
    ack, redis_url = env.get("ACKMIGRATE_ACK_ENDPOINT"), env.get("REDIS_URL")
    if not ack or not redis_url:
        return f"{path} names no ACKMIGRATE_ACK_ENDPOINT or no REDIS_URL"
    try:
        with urllib.request.urlopen(f"{ack}/_sandbox/clusters", timeout=2) as response:
            if response.status != 200:
                return f"the sandbox at {ack} answered {response.status}"
    except (urllib.error.URLError, OSError) as error:
        return f"the sandbox at {ack} does not answer ({error})"
    client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        return f"Redis at {redis_url} does not answer ({error})"
    finally:
        client.close()
    return None


def _read(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            env[key.strip()] = value.strip()
    return env
