"""The bot's HTTP surface as one WSGI app: `POST /slack/events`, `GET /healthz`, `GET /metrics`.

Kept apart from bot.server so tests can serve exactly what gunicorn serves (with wsgiref, in a thread)
and so the gunicorn master never imports Bolt or prometheus_client before the metrics directory is set.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from redis import Redis
from redis.exceptions import RedisError
from slack_bolt import App
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_normalized_headers, extract_content_type
from slack_sdk.signature import SignatureVerifier

from bot import intake
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
        self.verifier = SignatureVerifier(str(settings.slack_signing_secret or ""))

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
        """Bolt's WSGI adapter behind bot.intake: size, signature and shape are checked before Bolt parses.

        A body over the limit is refused from its Content-Length alone, unread (bot.server also closes the
        connection so gunicorn does not drain it); an unsigned request is a 401 whatever its body; a signed
        one Bolt could not read is a 400. One log line each, never a traceback.
        """
        http = WsgiHttpRequest(environ)
        headers = http.get_headers()
        try:
            body = self._read_signed_body(environ)
            text = intake.decode(body)
            intake.parse_http_body(text, extract_content_type(build_normalized_headers(headers)))
            request = _bolt_request(text, query=http.query_string, headers=headers)
        except intake.Refused as refused:
            logger.info("refused a request to %s: %s", EVENTS_PATH, refused)
            return _refuse(start_response, refused.status)
        bolt = self.app.dispatch(request)
        response = WsgiHttpResponse(status=bolt.status, headers=bolt.headers, body=bolt.body)
        start_response(response.status, response.get_headers())
        return response.get_body()

    def _read_signed_body(self, environ: WSGIEnvironment) -> bytes:
        length = intake.declared_length(environ.get("CONTENT_LENGTH"))
        stream = environ.get("wsgi.input")
        body = b"" if stream is None else stream.read(intake.MAX_BODY_BYTES + 1 if length is None else length)
        intake.check_size(body)
        timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "")
        signature = str(environ.get("HTTP_X_SLACK_SIGNATURE") or "")
        # slack_sdk's verifier raises on a timestamp that is not a plain number or a non-ASCII signature.
        signed = intake.plausible_signature(timestamp, signature) and self.verifier.is_valid(
            body=body, timestamp=timestamp, signature=signature)
        if not signed:
            raise intake.Refused(intake.UNSIGNED, "no valid Slack signature")
        return bytes(body)

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


def _bolt_request(text: str, *, query: str, headers: dict[str, Any]) -> BoltRequest:
    """Bolt reads ids out of the body as it builds the request; a signed body of the wrong shape is a 400."""
    try:
        return BoltRequest(body=text, query=query, headers=headers)
    except (AttributeError, TypeError, KeyError, IndexError) as error:
        raise intake.Refused(intake.MALFORMED, f"Bolt could not read the body ({type(error).__name__})") from None


_REASONS = {intake.MALFORMED: "400 Bad Request", intake.UNSIGNED: "401 Unauthorized",
            intake.TOO_LARGE: "413 Content Too Large"}


def _refuse(start_response: StartResponse, status: int) -> list[bytes]:
    line = _REASONS[status]
    return _respond(start_response, line, "text/plain; charset=utf-8", f"{line.split(' ', 1)[1]}\n".encode())


def _respond(start_response: StartResponse, status: str, content_type: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]
