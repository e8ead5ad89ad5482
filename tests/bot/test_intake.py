"""Input bounded before the signature check, proven against `ackmigrate serve` itself (gunicorn and all).

An attacker does not need the signing secret to send bytes: whatever arrives unsigned gets a 4xx and a
single log line, a body over the limit is refused from its Content-Length without being read, and the
bot's memory does not grow with what people send it.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis import Redis

from bot.limits import MAX_BODY_BYTES
from tests.e2e.processes import serve_process
from workers.queues import ALL_QUEUES

HUNDRED_MB = 100 * 1024 * 1024


@pytest.fixture
def served(sandbox: Any, sandbox_env: dict[str, str], tmp_path: Path) -> Iterator[tuple[str, Any, Path]]:
    log = tmp_path / "serve.log"
    with serve_process({**sandbox_env, "ACKMIGRATE_APPROVERS": "S0PLATFORM"}, log_path=log) as (url, process):
        sandbox.control.set_request_url(url + "/slack/events")
        yield url, process, log


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        connection.putrequest("POST", "/slack/events", skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        return connection.getresponse().status
    finally:
        connection.close()


def _signed_headers(secret: str, body: bytes, content_type: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}",
            "Content-Length": str(len(body))}


def _queued(redis: Redis) -> int:
    return sum(redis.llen(f"rq:queue:{name}") for name in ALL_QUEUES)


def _no_traceback(log: Path) -> None:
    text = log.read_text(errors="replace")
    assert "Traceback" not in text and "Error handling request" not in text, text[-3000:]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_not_an_object = _json.filter(lambda value: not isinstance(value, dict))
_bodies = st.one_of(
    _not_an_object.map(lambda v: urllib.parse.urlencode({"payload": json.dumps(v)}).encode()),  # payload=[1,2]
    _json.map(lambda v: json.dumps(v).encode()),  # a JSON array, a number, an object of anything
    st.binary(max_size=400),  # not UTF-8, not a form
    st.text(alphabet="%&=+az09{}[]\"\\", max_size=200).map(str.encode),  # broken percent-encoding
    st.just(b""),
    st.sampled_from([b"payload=[1,2]", b"payload=1", b"[1,2]", b"payload=%ZZ", b"payload=%7B%22type%22"]),
)
_content_types = st.sampled_from(
    ["application/x-www-form-urlencoded", "application/json", "text/plain", "multipart/form-data; boundary=x", ""]
)
_values = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
    st.integers(min_value=4_000, max_value=20_000).map(lambda n: "9" * n),  # huge header values
)
_headers = st.dictionaries(st.sampled_from(["X-Slack-Request-Timestamp", "X-Slack-Signature", "X-Other"]), _values,
                           max_size=3)


@pytest.mark.e2e
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_bodies, content_type=_content_types, headers=_headers, length=st.sampled_from(["exact", "none", "bad"]))
def test_every_malformed_unsigned_request_gets_a_4xx_and_no_traceback(
    served: tuple[str, Any, Path], redis_client: Redis, body: bytes, content_type: str, headers: dict[str, str],
    length: str,
) -> None:
    url, _, log = served
    sent = {"Content-Type": content_type, **headers}
    if length == "exact":
        sent["Content-Length"] = str(len(body))
    elif length == "bad":
        sent["Content-Length"] = "12abc"
    status = _post(url, body, sent)
    assert 400 <= status < 500
    assert _queued(redis_client) == 0
    _no_traceback(log)


@pytest.mark.e2e
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=_not_an_object, as_json=st.booleans())
def test_a_signed_body_that_is_not_an_object_is_a_400_not_a_crash(
    served: tuple[str, Any, Path], sandbox_env: dict[str, str], redis_client: Redis, value: Any, as_json: bool
) -> None:
    url, _, log = served
    if as_json:
        body, content_type = json.dumps(value).encode(), "application/json"
    else:
        body, content_type = urllib.parse.urlencode({"payload": json.dumps(value)}).encode(), \
            "application/x-www-form-urlencoded"
    status = _post(url, body, _signed_headers(sandbox_env["SLACK_SIGNING_SECRET"], body, content_type))
    assert status == 400
    assert _queued(redis_client) == 0
    _no_traceback(log)


def _oversized(url: str) -> tuple[int, bool]:
    """Announce 100 MB, send 256 KB of it, read the answer; then whether the bot closed the connection
    (rather than draining the other 99.75 MB to keep it alive)."""
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=15) as sock:
        head = (f"POST /slack/events HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {HUNDRED_MB}\r\n\r\n").encode()
        sock.sendall(head + b"a" * (256 * 1024))
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(4096)
        status = int(answer.split(b" ", 2)[1])
        closed = False
        try:
            while sock.recv(65536):
                pass
            closed = True
        except ConnectionResetError:
            closed = True
        return status, closed


def _rss_kib(pid: int) -> int:
    """Resident memory of gunicorn's master and its workers, in KiB."""
    pids = [pid] + [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(p) == pid]
    total = 0
    for each in pids:
        status = Path(f"/proc/{each}/status").read_text()
        total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
    return total


def _parent(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


@pytest.mark.e2e
def test_eight_concurrent_oversized_bodies_get_413_unread_and_memory_stays_flat(
    served: tuple[str, Any, Path], sandbox: Any, redis_client: Redis
) -> None:
    url, process, log = served
    for _ in range(4):  # every worker has served a request: its memory is what a running bot's is
        sandbox.control.slash("U0ALICE", "C0PLATFORM", "help")
    before = _rss_kib(process.pid)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: _oversized(url), range(8)))

    grown_kib = _rss_kib(process.pid) - before
    assert results == [(413, True)] * 8
    assert grown_kib < 8 * 1024, f"serve grew by {grown_kib} KiB for 8 refused 100 MB bodies"
    assert sandbox.control.slash("U0ALICE", "C0PLATFORM", "help")["status"] == 200
    assert _queued(redis_client) == 0
    _no_traceback(log)


@pytest.mark.e2e
def test_a_body_just_over_the_limit_is_413_even_when_signed(
    served: tuple[str, Any, Path], sandbox_env: dict[str, str]
) -> None:
    url, _, log = served
    body = b"text=" + b"a" * MAX_BODY_BYTES
    headers = _signed_headers(sandbox_env["SLACK_SIGNING_SECRET"], body, "application/x-www-form-urlencoded")
    assert _post(url, body, headers) == 413
    _no_traceback(log)
