"""`ackmigrate serve` as its own process (gunicorn and all), for the e2e test and the ack benchmark."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.redis_server import free_port

ACKMIGRATE = Path(sys.executable).with_name("ackmigrate")
START_TIMEOUT_S = 30.0


@contextmanager
def ackmigrate_serve(env: dict[str, str], *, workers: int = 2) -> Iterator[str]:
    """Start `ackmigrate serve` on a free port; yield its base URL once /healthz says it is ready."""
    port = free_port()
    process = subprocess.Popen(
        [str(ACKMIGRATE), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ackmigrate serve exited with {process.returncode}: {process.stderr.read() if process.stderr else ''}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"ackmigrate serve did not become healthy at {url} within {START_TIMEOUT_S:.0f} s")
