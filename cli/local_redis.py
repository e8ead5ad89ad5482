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

_START_ATTEMPTS = 5
_START_TIMEOUT_S = 30.0
"""Generous: on a loaded machine (a 2-core CI running the suite on two workers) a start can take seconds."""


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
        self._started_once = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it and wait until *this* process answers.

        The port was free when it was chosen, but another program (a parallel test's own redis-server, say)
        may take it before ours binds. Ours then exits, and it is started again on a new free port; and a
        PING is trusted only when the server answering is our process, never a neighbour on the same port.
        A restart keeps its port (clients already hold the URL), so it only waits longer for it.
        """
        for _ in range(_START_ATTEMPTS):
            if self._started_here():
                return
            if self._started_once:
                continue  # a restart: clients hold this port's URL, so try it again, never another
            self.port = free_port()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def _started_here(self) -> bool:
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.persistence else [
            "--appendonly", "no", "--save", ""]
        process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--protected-mode", "no", *persistence],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=self.own_session,
        )
        self.process = process
        client = redis.Redis.from_url(self.url, socket_timeout=5)
        deadline = time.monotonic() + _START_TIMEOUT_S
        try:
            while process.poll() is None and time.monotonic() < deadline:
                try:
                    if int(client.info("server")["process_id"]) == process.pid:
                        self._started_once = True
                        return True
                except redis.ConnectionError:
                    pass
                time.sleep(0.05)
        finally:
            client.close()
        if process.poll() is None:  # alive but never answered in time: do not leave it behind
            process.kill()
            process.wait(timeout=10)
        self.process = None
        return False

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
