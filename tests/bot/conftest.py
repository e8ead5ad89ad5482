"""Fixtures: the bot served for real (the same WSGI app gunicorn serves) on a free port, wired to the sandbox.

`start_bot(**env)` builds Settings from the sandbox's environment plus the given ACKMIGRATE_* values,
serves `bot.web.BotWsgi` with a threaded wsgiref server and points the Slack stand-in's request URL at
it, so `sandbox.control.slash(...)` / `click(...)` reach the bot exactly as Slack would.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import make_server

import pytest
from redis import Redis

from bot.web import BotWsgi
from tests.bot.harness import QuietHandler, RunningBot, StartBot, ThreadingWSGIServer
from workers.config import Settings


@pytest.fixture
def start_bot(sandbox: Any, sandbox_env: dict[str, str], redis_client: Redis) -> Iterator[StartBot]:
    servers: list[ThreadingWSGIServer] = []

    def start(**env: str) -> RunningBot:
        settings = Settings.from_env({"ACKMIGRATE_APPROVERS": "S0PLATFORM", **sandbox_env, **env})
        server = make_server("127.0.0.1", 0, BotWsgi(settings), server_class=ThreadingWSGIServer,
                             handler_class=QuietHandler)
        assert isinstance(server, ThreadingWSGIServer)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}"
        sandbox.control.set_request_url(url + "/slack/events")
        return RunningBot(url=url, settings=settings, sandbox=sandbox, redis=redis_client)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def bot(start_bot: StartBot) -> RunningBot:
    return start_bot()
