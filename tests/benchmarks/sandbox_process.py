"""`ackmigrate sandbox` in its own process, as the benchmarks run it, with what it costs the machine.

Its own process so the benchmark's process (and its GIL) measures nothing but the code under test; its
CPU time and thread count are read from /proc, so a benchmark can say when the machine, not the code or
the cap, was the bound.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sandbox.processes import stop_group
from workers.config import load_dotenv

ACKMIGRATE = Path(sys.executable).with_name("ackmigrate")
STARTUP_DEADLINE_S = 60.0  # a deadline for a slow machine, not a figure
_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class RunningSandbox:
    env: dict[str, str]  # the environment lines it wrote: endpoints and credentials
    pid: int
    log: Path

    def cpu_seconds(self) -> float:
        """User + system CPU time of the sandbox process so far (Linux /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS_PER_S  # utime, stime: fields 14 and 15 of stat

    def threads(self) -> int:
        """Threads the sandbox runs now: one per open connection, plus its servers' own."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))


@contextmanager
def running_sandbox(scratch: Path) -> Iterator[RunningSandbox]:
    """`ackmigrate sandbox` on free ports, stopped (its whole process group) on the way out."""
    env_file = scratch / "sandbox.env"
    log_path = scratch / "sandbox.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [str(ACKMIGRATE), "sandbox", "--port", "0", "--env-file", str(env_file), "--speed", "1",
         "--scenario", "empty"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        while not env_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ackmigrate sandbox did not start: {log_path.read_text()}")
            time.sleep(0.05)
        env: dict[str, str] = {}
        load_dotenv(env_file, environ=env)
        yield RunningSandbox(env, process.pid, log_path)
    finally:
        stop_group(process, timeout_s=30)
        log.close()
