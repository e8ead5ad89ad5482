"""The Slack stand-in on its own, plus a tiny "bot" that records what Slack delivers to it.

`SlackStandIn` serves the same `SlackService` and control API that `sandbox.runtime.Sandbox` serves, over
one fresh World, so these tests need nothing beyond the Slack half of the sandbox. `RecordingBot` is a
real HTTP server on a free port playing the bot's `/slack/events`: it keeps every request exactly as it
arrived (headers and raw body, for signature checks) and answers what the test told it to.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk import WebClient
from slack_sdk.http_retry.handler import RetryHandler

from sandbox.client import SandboxClient
from sandbox.control import ControlApi
from sandbox.httpserver import ServiceServer
from sandbox.slack import SlackService, SlackWorkspace
from sandbox.world import World

BOT_TOKEN = "xoxb-test-0000000000-slack-stand-in"
SIGNING_SECRET = "test-signing-secret-0123456789abcdef"


APPROVAL_BLOCKS: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "Migrate prod-hz-1 to ACK Pro"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": "Requested by <@U0ALICE>. All checks passed."}},
    {
        "type": "actions",
        "block_id": "decision",
        "elements": [
            {"type": "button", "action_id": "approve_migration", "value": "req-1", "style": "primary",
             "text": {"type": "plain_text", "text": "Approve"}},
            {"type": "button", "action_id": "reject_migration", "value": "req-1", "style": "danger",
             "text": {"type": "plain_text", "text": "Reject"}},
        ],
    },
]
"""A request message as the bot posts it: what the Slack tests post, update and click on."""


class SlackStandIn:
    """The Slack Web API stand-in and `/_sandbox/…` on one port, over a fresh World."""

    def __init__(self) -> None:
        self.world = World()
        self.world.slack = SlackWorkspace(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET)
        self.server = ServiceServer(
            world=self.world,
            service=SlackService(self.world),
            host="127.0.0.1",
            port=0,
            extra=ControlApi(self.world).handle,
        )
        self.world.endpoints["slack"] = self.server.url

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL would be set to."""
        return self.server.url + "/api/"

    @property
    def control(self) -> SandboxClient:
        return SandboxClient(self.server.url)

    def web_client(self, *, token: str = BOT_TOKEN, retry_handlers: list[RetryHandler] | None = None) -> WebClient:
        """slack_sdk's client as the bot builds it; only the base URL differs. No retries unless asked."""
        return WebClient(token=token, base_url=self.api_url, retry_handlers=retry_handlers or [], timeout=10)

    def start(self) -> SlackStandIn:
        self.server.start()
        return self

    def reset(self) -> SlackStandIn:
        """A freshly seeded workspace, no calls and no faults: what a new stand-in would have.

        Cheaper than a new server per test (stopping one waits out its half-second poll).
        """
        self.world.slack = SlackWorkspace(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET)
        self.world.calls.clear()
        self.world.faults.clear()
        return self

    def stop(self) -> None:
        self.server.stop()


@dataclass
class Delivery:
    """One request as the bot received it."""

    path: str
    headers: dict[str, str]  # lower-case names
    body: str

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body, keep_blank_values=True))


@dataclass
class BotAnswer:
    status: int = 200
    body: str = ""
    content_type: str = "text/plain; charset=utf-8"


@dataclass
class RecordingBot:
    """A stand-in for the bot's HTTP endpoint: records deliveries, answers with `answer`."""

    answer: BotAnswer = field(default_factory=BotAnswer)
    deliveries: list[Delivery] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _bot_handler(self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="recording-bot", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/slack/events"

    def start(self) -> RecordingBot:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _bot_handler(bot: RecordingBot) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            bot.deliveries.append(
                Delivery(path=self.path, headers={k.lower(): v for k, v in self.headers.items()}, body=body)
            )
            raw = bot.answer.body.encode()
            self.send_response(bot.answer.status)
            self.send_header("Content-Type", bot.answer.content_type)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            """Quiet: the test reads `deliveries`, not a log."""

    return _Handler
