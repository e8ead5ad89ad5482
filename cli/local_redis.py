"""A private `redis-server` on a free port in a temporary directory, for the test suite and the demo.

Neither ever touches a Redis it did not start: on a developer's machine port 6379 may hold someone
else's data (or a real deployment's queues), and on a fresh machine there may be no Redis at all.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One redis-server process; `restart()` keeps its data when started with persistence."""

    def __init__(self, *, persistence: bool = False, own_session: bool = False) -> None:
        """`own_session`: keep redis-server out of its parent's process group, so a signal to that group
        (a Procfile runner stopping the sandbox) leaves it to the parent, which stops it last."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed: run `make tools` (Debian package redis-server)")
        self.binary = binary
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="ackmigrate-redis-"))
        self.persistence = persistence
        self.own_session = own_session
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.persistence else [
            "--appendonly", "no", "--save", ""]
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--protected-mode", "no", *persistence],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=self.own_session,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
