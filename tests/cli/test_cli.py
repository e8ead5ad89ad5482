"""The `ackmigrate` script as an operator meets it: pipes, `list`, `health`, and an install without the sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import SimpleWorker

from workers.audit import AuditLog
from workers.health import WORKER_STALE_AFTER_S, worker_heartbeat_age

ACKMIGRATE = str(Path(sys.executable).with_name("ackmigrate"))


def _env(extra: dict[str, str]) -> dict[str, str]:
    """The caller's environment minus anything that could point ackmigrate elsewhere, plus `extra`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "ACKMIGRATE_", "SLACK_",
                                                                     "REDIS_"))}
    return {**clean, **extra}


def _run(args: list[str], env: dict[str, str], cwd: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ACKMIGRATE, *args], env=_env(env), cwd=cwd, text=True, timeout=120, check=False,
                          **kwargs)


@pytest.mark.parametrize("args", [["status", "--json"], ["status"], ["audit", "--json"], ["list", "--json"],
                                  ["list"], ["precheck", "prod-hz-1", "--json"]])
def test_output_into_a_reader_that_went_away_ends_quietly(
    args: list[str], sandbox: Any, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    """`ackmigrate status --json | head`: head may close the pipe before everything is written."""
    sandbox.control.create_cluster(name="prod-hz-1")
    AuditLog(redis.Redis.from_url(sandbox_env["REDIS_URL"]), retention_days=1).append("command", actor="U0ALICE")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has already gone: every write fails with EPIPE, deterministically
    try:
        done = _run(args, sandbox_env, tmp_path, stdout=write_end, stderr=subprocess.PIPE)
    finally:
        os.close(write_end)

    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
    assert done.returncode == 1


def test_list_in_a_terminal_names_what_blocks_each_cluster(
    sandbox: Any, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    sandbox.control.create_cluster(name="prod-hz-ready")
    sandbox.control.create_cluster(name="prod-hz-shared-slb", slb_spec="shared")
    sandbox.control.create_cluster(name="prod-hz-pro", cluster_type="ManagedKubernetes", cluster_spec="ack.pro.small")

    table = _run(["list"], sandbox_env, tmp_path, capture_output=True)
    as_json = _run(["list", "--json"], sandbox_env, tmp_path, capture_output=True)

    assert table.returncode == 0, table.stderr
    lines = {line.split()[0]: line for line in table.stdout.splitlines() if line.startswith("prod-")}
    assert lines["prod-hz-ready"].endswith("  ready")
    assert lines["prod-hz-shared-slb"].endswith("  blocked: slb-spec")
    assert "prod-hz-pro" not in lines and "1 managed or other clusters are not listed." in table.stdout
    document = json.loads(as_json.stdout)
    assert {c["name"]: (c["readiness"], c["blocking"]) for c in document["clusters"]} == {
        "prod-hz-ready": ("ready", []), "prod-hz-shared-slb": ("blocked", ["slb-spec"])}


def test_health_worker_is_dead_without_a_worker_on_this_host(redis_url: str, tmp_path: Path) -> None:
    done = _run(["health", "worker"], {"REDIS_URL": redis_url}, tmp_path, capture_output=True)

    assert done.returncode == 1
    assert "no RQ worker on" in done.stderr


def test_health_worker_follows_the_rq_heartbeat_of_this_hosts_worker(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    worker = SimpleWorker(["ackmigrate-notify"], connection=redis_client)
    worker.register_birth()  # what `ackmigrate worker` does first; its loop then renews the heartbeat
    try:
        alive = _run(["health", "worker"], {"REDIS_URL": redis_url}, tmp_path, capture_output=True)
        later = datetime.now(UTC) + timedelta(seconds=WORKER_STALE_AFTER_S + 1)
        age_then = worker_heartbeat_age(redis_client, hostname=str(worker.hostname), now=later)
    finally:
        worker.register_death()

    assert alive.returncode == 0, alive.stderr
    assert "heartbeat" in alive.stdout
    assert age_then is not None and age_then > WORKER_STALE_AFTER_S  # a loop that stopped turning is dead


def test_health_without_redis_is_dead_and_says_where_it_looked(tmp_path: Path) -> None:
    done = _run(["health", "worker"], {"REDIS_URL": "redis://:secret@127.0.0.1:9/0"}, tmp_path,
                capture_output=True)

    assert done.returncode == 1
    assert "cannot reach Redis at redis://***@127.0.0.1:9/0" in done.stderr and "secret" not in done.stderr


_WITHOUT_SANDBOX = """
import sys
sys.modules["sandbox"] = None  # as in the production image, which does not ship the package
from cli.main import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("command", ["demo", "sandbox"])
def test_without_the_sandbox_installed_demo_and_sandbox_say_how_to_get_it(command: str, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", _WITHOUT_SANDBOX, command], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env=_env({}))

    assert done.returncode == 2
    assert "the sandbox is not installed here" in done.stderr and "pip install '.[sandbox]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_without_the_sandbox_installed_the_production_commands_still_run(redis_url: str, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", _WITHOUT_SANDBOX, "status", "--json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, env=_env({"REDIS_URL": redis_url}))

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"in_flight": [], "recent": []}


def test_env_file_option_reads_settings_from_the_named_file(redis_url: str, tmp_path: Path) -> None:
    (tmp_path / "stack.env").write_text(f"REDIS_URL={redis_url}\n")

    done = _run(["--env-file", "stack.env", "status", "--json"], {}, tmp_path, capture_output=True)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"in_flight": [], "recent": []}
