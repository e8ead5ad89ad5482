"""A real Redis that fails over: Debian's redis-server as master and replica, three redis-sentinel.

Every process listens on a free port and keeps its files in one temporary directory; nothing here
touches a Redis the tests did not start. `failover()` is what an operator's `SENTINEL FAILOVER` does.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import redis
import redis.sentinel

from cli.local_redis import free_port

MASTER_NAME = "ackmigrate"
QUORUM = 2
START_TIMEOUT_S = 30.0
PAUSE_MS = 30_000  # longer than Sentinel takes to demote the old master; UNPAUSE ends it sooner


def _binary(name: str, package: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise AssertionError(f"{name} is not installed: `make tools` installs Debian's {package}")
    return found


class SentinelRedis:
    """A master, one replica and three sentinels watching them under MASTER_NAME."""

    def __init__(self) -> None:
        self.redis_server = _binary("redis-server", "redis-server")
        self.redis_sentinel = _binary("redis-sentinel", "redis-sentinel")
        self.dir = Path(tempfile.mkdtemp(prefix="ackmigrate-sentinel-"))
        self.data_ports = [free_port(), free_port()]
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.processes: list[subprocess.Popen[bytes]] = []

    # --- what the code under test is given ------------------------------------------------------------

    @property
    def sentinels(self) -> str:
        """REDIS_SENTINELS."""
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)

    @property
    def env(self) -> dict[str, str]:
        return {"REDIS_SENTINELS": self.sentinels, "REDIS_SENTINEL_MASTER": MASTER_NAME}

    def client(self) -> redis.Redis:
        """A client that follows the master, as the code under test does."""
        return redis.sentinel.Sentinel([("127.0.0.1", p) for p in self.sentinel_ports],
                                       socket_timeout=2).master_for(MASTER_NAME, socket_timeout=2)

    def master_port(self) -> int:
        """Where the sentinels say the master is now."""
        sentinel = redis.Redis(port=self.sentinel_ports[0], socket_timeout=2)
        _host, port = sentinel.sentinel_get_master_addr_by_name(MASTER_NAME)
        return int(port)

    # --- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> SentinelRedis:
        master, replica = self.data_ports
        self._data_node(master)
        self._data_node(replica, "--replicaof", "127.0.0.1", str(master))
        self._wait(lambda: redis.Redis(port=replica).info("replication").get("master_link_status") == "up",
                   "the replica to sync with the master")
        for port in self.sentinel_ports:
            config = self.dir / f"sentinel-{port}.conf"
            config.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.dir}\n"
                f"sentinel monitor {MASTER_NAME} 127.0.0.1 {master} {QUORUM}\n"
                f"sentinel down-after-milliseconds {MASTER_NAME} 2000\n"
                f"sentinel failover-timeout {MASTER_NAME} 10000\n"
            )
            self._spawn([self.redis_sentinel, str(config)])
        self._wait(self._sentinels_see_everyone, "the sentinels to find the replica and each other")
        return self

    def failover(self) -> int:
        """A planned switchover, as the README tells operators to do it; returns the new master's port.

        Replication is asynchronous and Sentinel demotes a live old master only some seconds after it
        promoted the replica (about 10 s here), so writes clients send the old master in between would be
        lost. Hence: pause writes on the master (CLIENT PAUSE WRITE), let the replica catch up, SENTINEL
        FAILOVER, and unpause only once the old master is a replica — the paused writes then fail with
        READONLY (redis-py's Sentinel client reconnects to the new master) or were retried there already.
        """
        before = self.master_port()
        old = redis.Redis(port=before)
        old.execute_command("CLIENT", "PAUSE", str(PAUSE_MS), "WRITE")
        try:
            self._wait(lambda: self._replica_caught_up(old), "the replica to catch up with the paused master")
            redis.Redis(port=self.sentinel_ports[0]).sentinel_failover(MASTER_NAME)
            self._wait(lambda: self.master_port() != before, "the sentinels to name a new master")
            after = self.master_port()
            self._wait(lambda: redis.Redis(port=after).info("replication")["role"] == "master",
                       "the promoted replica to act as master")
            self._wait(lambda: old.info("replication")["role"] == "slave", "the old master to become a replica")
        finally:
            old.execute_command("CLIENT", "UNPAUSE")
        return after

    def failover_unplanned(self) -> int:
        """A bare `SENTINEL FAILOVER`, writes not paused: the old master keeps taking writes (and losing
        them) until Sentinel demotes it; returns the new master's port."""
        before = self.master_port()
        redis.Redis(port=self.sentinel_ports[0]).sentinel_failover(MASTER_NAME)
        self._wait(lambda: self.master_port() != before, "the sentinels to name a new master")
        after = self.master_port()
        self._wait(lambda: redis.Redis(port=after).info("replication")["role"] == "master",
                   "the promoted replica to act as master")
        self._wait(lambda: redis.Redis(port=before).info("replication")["role"] == "slave",
                   "the old master to become a replica")
        return after

    @staticmethod
    def _replica_caught_up(master: redis.Redis) -> bool:
        info = master.info("replication")
        replica = info.get("slave0") or {}
        return bool(replica) and int(replica.get("offset", -1)) == int(info["master_repl_offset"])

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- pieces ---------------------------------------------------------------------------------------

    def _data_node(self, port: int, *extra: str) -> None:
        node_dir = self.dir / f"redis-{port}"
        node_dir.mkdir()
        # AOF fsync'd every second: what the README asks of production (and what survives a restart).
        self._spawn([self.redis_server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(node_dir),
                     "--protected-mode", "no", "--appendonly", "yes", "--appendfsync", "everysec",
                     "--save", "", *extra])
        self._wait(lambda: redis.Redis(port=port).ping(), f"redis-server on {port}")

    def _spawn(self, command: list[str]) -> None:
        self.processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def _sentinels_see_everyone(self) -> bool:
        for port in self.sentinel_ports:
            state = redis.Redis(port=port, socket_timeout=2).sentinel_master(MASTER_NAME)
            if int(state["num-slaves"]) < 1 or int(state["num-other-sentinels"]) < 2:
                return False
        return True

    def _wait(self, condition: Callable[[], object], what: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                if condition():
                    return
            except (redis.ConnectionError, redis.ResponseError):
                pass
            for process in self.processes:
                if process.poll() is not None:
                    raise AssertionError(f"{process.args[0]} exited with {process.returncode} waiting for {what}")
            if time.monotonic() > deadline:
                raise AssertionError(f"not within {START_TIMEOUT_S:.0f} s: {what}")
            time.sleep(0.1)
