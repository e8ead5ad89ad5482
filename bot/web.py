"""The bot's HTTP surface as one WSGI app: `POST /slack/events`, `GET /healthz`, `GET /metrics`.

Kept apart from bot.server so tests can serve exactly what gunicorn serves (with wsgiref, in a thread)
and so the gunicorn master never imports Bolt or prometheus_client before the metrics directory is set.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from redis import Redis
from redis.exceptions import RedisError
from slack_bolt import App
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.request import BoltRequest

from bot.app import build_app
from workers import redis_connection
from workers.config import Settings

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
REDIS_TIMEOUT_S = 2.0
"""A listener that cannot reach Redis in 2 s answers with an error well inside Slack's 3 s."""


def connect_redis(settings: Settings) -> Redis:
    return redis_connection.connect_redis(
        settings, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S, health_check_interval=30,
    )


class BotWsgi:
    """Routes the three paths; everything under /slack/events is Bolt's (signature checks included)."""

    def __init__(self, settings: Settings, *, redis: Redis | None = None) -> None:
        self.redis = redis if redis is not None else connect_redis(settings)
        self.app: App = build_app(settings, redis=self.redis)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == EVENTS_PATH and method == "POST":
            return self._slack(environ, start_response)
        if path == "/healthz" and method in ("GET", "HEAD"):
            return self._healthz(start_response)
        if path == "/metrics" and method == "GET":
            return _respond(start_response, "200 OK", CONTENT_TYPE_LATEST, _metrics())
        return _respond(start_response, "404 Not Found", "text/plain; charset=utf-8", b"Not Found\n")

    def _slack(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Bolt's WSGI adapter, except that a body Bolt cannot even parse is a 400, not a 500.

        Bolt parses the body before it checks the signature, and raises on bytes that are not UTF-8 or a
        `payload` field that is not JSON; those requests are not Slack's, so they get a plain refusal.
        """
        http = WsgiHttpRequest(environ)
        try:
            request = BoltRequest(body=http.get_body(), query=http.query_string, headers=http.get_headers())
        except ValueError as error:  # UnicodeDecodeError and JSONDecodeError are both ValueErrors
            logger.info("refused an unreadable request to %s: %s", EVENTS_PATH, error)
            return _respond(start_response, "400 Bad Request", "text/plain; charset=utf-8", b"Bad Request\n")
        bolt = self.app.dispatch(request)
        response = WsgiHttpResponse(status=bolt.status, headers=bolt.headers, body=bolt.body)
        start_response(response.status, response.get_headers())
        return response.get_body()

    def _healthz(self, start_response: StartResponse) -> Iterable[bytes]:
        """Ready when Redis answers: without it the bot can neither record nor queue anything."""
        try:
            self.redis.ping()
        except RedisError as error:
            logger.warning("healthz: Redis does not answer: %s", error)
            body = json.dumps({"ok": False, "redis": f"{type(error).__name__}: {error}"}).encode()
            return _respond(start_response, "503 Service Unavailable", "application/json", body)
        return _respond(start_response, "200 OK", "application/json", json.dumps({"ok": True, "redis": "ok"}).encode())


def _metrics() -> bytes:
    """This process's metrics, or every gunicorn worker's when they share PROMETHEUS_MULTIPROC_DIR."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()


def _respond(start_response: StartResponse, status: str, content_type: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]
