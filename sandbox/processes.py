"""Stopping a process started in its own session, as an orchestrator stops a pod: TERM, then KILL.

Shared by the demo and the benchmarks, which start `ackmigrate` processes (and whatever those fork,
like gunicorn's workers) with `start_new_session=True` so the whole group goes together.
"""

from __future__ import annotations

import os
import signal
import subprocess
from typing import Any


def stop_group(process: subprocess.Popen[Any], *, timeout_s: float = 10.0) -> None:
    """SIGTERM the process group; SIGKILL it if it has not gone within `timeout_s`."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
