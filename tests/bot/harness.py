"""Driving a running bot from a test: its jobs, its records, signed requests, and waiting for lazy work."""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from redis import Redis
from rq import Queue
from slack_sdk import WebClient

from workers.config import Settings
from workers.domain.records import Record
from workers.queues import ALL_QUEUES
from workers.store import RecordStore
from workers.ui.request_message import request_message


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  # the base class's name
        """The test output is for assertions, not access logs."""


@dataclass
class RunningBot:
    url: str
    settings: Settings
    sandbox: Any
    redis: Redis

    @property
    def control(self) -> Any:
        return self.sandbox.control

    @property
    def store(self) -> RecordStore:
        return RecordStore(self.redis)

    def jobs(self) -> list[tuple[str | None, tuple[Any, ...], dict[str, Any]]]:
        """Every queued job on every ackmigrate queue: (function, args, kwargs)."""
        return [
            (job.func_name, tuple(job.args), dict(job.kwargs))
            for name in ALL_QUEUES
            for job in Queue(name, connection=self.redis).jobs
        ]

    def job_names(self) -> list[str | None]:
        return [name for name, _, _ in self.jobs()]

    def post_request_message(self, record: Record) -> str:
        """What the open-request job would post: the request message, its ts saved on the record."""
        client = WebClient(token=self.settings.slack_bot_token, base_url=self.settings.slack_api_url)
        message = request_message(record, approvers_label="<!subteam^S0PLATFORM>", two_person_rule=True,
                                  now=time.time())
        ts = str(client.chat_postMessage(channel=record.channel, text=message.text, blocks=message.blocks)["ts"])
        self.store.update(record.id, message_ts=ts)
        return ts

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        request = urllib.request.Request(self.url + path, data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post_signed_json(self, body: str) -> tuple[int, bytes]:
        """An Events API delivery: a JSON body, signed the same way."""
        stamp = str(int(time.time()))
        key = (self.settings.slack_signing_secret or "").encode()
        signature = "v0=" + hmac.new(key, f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
                   "X-Slack-Signature": signature}
        return self.post("/slack/events", body.encode(), headers)

    def post_signed(self, body: str, *, timestamp: int | None = None, secret: str | None = None) -> tuple[int, bytes]:
        """A form body signed as Slack signs it (v0 HMAC-SHA256), optionally with a stale time or wrong secret."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        key = (secret or self.settings.slack_signing_secret or "").encode()
        signature = "v0=" + hmac.new(key, f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": stamp,
                   "X-Slack-Signature": signature}
        return self.post("/slack/events", body.encode(), headers)


StartBot = Callable[..., RunningBot]
"""`start_bot(ACKMIGRATE_REQUESTERS="U0ALICE")`: the bot, started with extra settings."""


def eventually(check: Callable[[], Any], *, timeout_s: float = 5.0) -> Any:
    """Wait for what happens after the acknowledgement (lazy listeners); the last failure if it never does."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            result = check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        else:
            if result:  # an empty list or False: not yet
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"{check} never became true")
        time.sleep(0.02)
