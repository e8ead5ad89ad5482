"""`ackmigrate sandbox` as an operator runs it: a separate process, its env file, SIGTERM to stop."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import oss2
import pytest
import redis
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest

from sandbox.client import SandboxClient
from workers.config import load_dotenv

pytestmark = pytest.mark.e2e  # runs the real `ackmigrate sandbox` process

ACKMIGRATE = Path(sys.executable).with_name("ackmigrate")
STARTUP_DEADLINE_S = 30.0  # a deadline for a slow CI machine, not a performance target


def _wait_for_file(path: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"ackmigrate sandbox exited early ({process.returncode}): {process.stderr}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no env file after {STARTUP_DEADLINE_S}s")
        time.sleep(0.05)


@pytest.fixture
def running_sandbox(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    env_file = tmp_path / "sandbox.env"
    process = subprocess.Popen(
        [str(ACKMIGRATE), "sandbox", "--port", "0", "--env-file", str(env_file), "--scenario", "default",
         "--speed", "10"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_file(env_file, process)
        env: dict[str, str] = {}
        load_dotenv(env_file, environ=env)
        yield process, env
    finally:
        if process.poll() is None:
            process.terminate()  # SIGTERM, so the sandbox stops its private redis-server too
            process.wait(timeout=STARTUP_DEADLINE_S)


def _describe_clusters(env: dict[str, str]) -> dict[str, object]:
    """ACK DescribeClustersForRegion through aliyunsdkcore, signed with the key the env file hands out."""
    client = AcsClient(
        env["ALIBABA_CLOUD_ACCESS_KEY_ID"], env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"], env["ACKMIGRATE_REGION"],
        auto_retry=False, timeout=10,
    )
    request = CommonRequest(version="2015-12-15", action_name="DescribeClustersForRegion",
                            uri_pattern=f"/regions/{env['ACKMIGRATE_REGION']}/clusters", product="CS")
    request.set_method("GET")
    request.add_query_param("page_size", "50")
    request.set_endpoint(urlsplit(env["ACKMIGRATE_ACK_ENDPOINT"]).netloc)
    request.set_protocol_type("http")
    body: dict[str, object] = json.loads(client.do_action_with_exception(request))
    return body


def test_env_file_points_at_running_endpoints_and_a_private_redis(
    running_sandbox: tuple[subprocess.Popen[str], dict[str, str]],
) -> None:
    _, env = running_sandbox

    assert env["ACKMIGRATE_REGION"] == "cn-hangzhou"
    redis_url = env["REDIS_URL"]
    assert urlsplit(redis_url).port not in (None, 6379)  # never the machine's own Redis
    assert redis.Redis.from_url(redis_url).ping()
    assert env["ACKMIGRATE_APPROVERS"] == "S0PLATFORM"  # the simulated @platform-leads can approve
    for name in ("ACK", "ECS", "SLB", "RAM", "OSS"):
        assert env[f"ACKMIGRATE_{name}_ENDPOINT"].startswith("http://127.0.0.1:")
    assert env["SLACK_API_URL"].endswith("/api/")
    assert env["SLACK_BOT_TOKEN"].startswith("xoxb-") and env["SLACK_SIGNING_SECRET"]
    ports = {urlsplit(env[f"ACKMIGRATE_{n}_ENDPOINT"]).port for n in ("ACK", "ECS", "SLB", "RAM", "OSS")}
    assert len(ports) == 5 and 0 not in ports  # --port 0: every service got its own free port


def test_default_scenario_is_served_to_the_real_sdks(
    running_sandbox: tuple[subprocess.Popen[str], dict[str, str]],
) -> None:
    _, env = running_sandbox

    clusters = _describe_clusters(env)["clusters"]
    assert isinstance(clusters, list)
    names = {c["name"] for c in clusters}
    assert {"prod-hz-ready", "prod-hz-old", "prod-hz-shared-slb", "prod-hz-no-assistant", "prod-hz-busy-masters",
            "prod-hz-cgpu", "prod-hz-pro", "staging-hz-fails"} <= names
    bucket = oss2.Bucket(
        oss2.AuthV4(env["ALIBABA_CLOUD_ACCESS_KEY_ID"], env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]),
        env["ACKMIGRATE_OSS_ENDPOINT"], "ack-migrate-hz", region=env["ACKMIGRATE_REGION"],
    )
    assert bucket.get_bucket_info().location == "oss-cn-hangzhou"
    control = SandboxClient(env["ACKMIGRATE_ACK_ENDPOINT"])
    assert [c["action"] for c in control.calls(service="oss")] == ["GetBucketInfo"]


def test_sigterm_stops_cleanly_with_exit_code_zero_and_takes_its_redis_along(
    running_sandbox: tuple[subprocess.Popen[str], dict[str, str]],
) -> None:
    process, env = running_sandbox

    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=STARTUP_DEADLINE_S)

    assert process.returncode == 0, stderr
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(env["REDIS_URL"]).ping()
    assert env["ACKMIGRATE_ACK_ENDPOINT"] in stdout  # it told the operator where ACK listens
    assert f"{env['ACKMIGRATE_ACK_ENDPOINT']}/_sandbox/" in stdout
    assert "prod-hz-ready" in stdout
    assert "sandbox stopped" in stdout


def test_sigint_stops_cleanly_too(running_sandbox: tuple[subprocess.Popen[str], dict[str, str]]) -> None:
    process, _ = running_sandbox

    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=STARTUP_DEADLINE_S)

    assert process.returncode == 0, stderr


def test_unknown_scenario_is_a_usage_error(tmp_path: Path) -> None:
    env_file = tmp_path / "never.env"
    result = subprocess.run(
        [str(ACKMIGRATE), "sandbox", "--port", "0", "--env-file", str(env_file), "--scenario", "nope"],
        capture_output=True, text=True, timeout=STARTUP_DEADLINE_S,
    )

    assert result.returncode == 2
    assert "unknown scenario 'nope'" in result.stderr and "default" in result.stderr
    assert not env_file.exists()


def test_without_its_redis_the_env_file_leaves_redis_url_to_the_operator(tmp_path: Path) -> None:
    env_file = tmp_path / "sandbox.env"
    process = subprocess.Popen(
        [str(ACKMIGRATE), "sandbox", "--port", "0", "--env-file", str(env_file), "--no-redis"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        _wait_for_file(env_file, process)
        env: dict[str, str] = {}
        load_dotenv(env_file, environ=env)
        assert "REDIS_URL" not in env and env["ACKMIGRATE_ACK_ENDPOINT"]
    finally:
        process.terminate()
        process.wait(timeout=STARTUP_DEADLINE_S)
