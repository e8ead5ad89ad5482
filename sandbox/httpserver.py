"""The HTTP plumbing every simulated service shares: parse, route, inject faults, log, answer.

Each service (ACK, ECS, …, Slack) is a `Service`: it names the action a request is for, answers it,
and knows how its real counterpart shapes an error. This module does the rest the same way for all of
them, so a fault or a call-log entry means the same thing whatever the service.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from sandbox.accounts import caller_account, set_caller_account

if TYPE_CHECKING:
    from sandbox.world import World

log = logging.getLogger("sandbox")


@dataclass
class Request:
    method: str
    path: str  # without the query string, percent-decoding left to the service
    raw_path: str  # as received, with the query string
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return default

    def args(self) -> dict[str, str]:
        return dict(self.query)

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    def json(self) -> Any:
        if not self.body:
            return {}
        return json.loads(self.body)


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return cls(
            status=status,
            body=json.dumps(data).encode(),
            headers={"Content-Type": "application/json;charset=utf-8", **(headers or {})},
        )

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain; charset=utf-8") -> Response:
        return cls(status=status, body=text.encode(), headers={"Content-Type": content_type})


class ApiError(Exception):
    """Raised by a handler; the service renders it the way the real API shapes its errors."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


Handler = Callable[[Request], Response]


@dataclass
class Route:
    action: str
    handler: Handler
    params: dict[str, str] = field(default_factory=dict)  # path parameters, e.g. cluster id
    authenticate: bool = True


class Service(Protocol):
    """What one simulated API must provide."""

    name: str  # one of sandbox.calls.SERVICES

    def route(self, request: Request) -> Route | None: ...

    def authenticate(self, request: Request, route: Route) -> None:
        """Raise ApiError when the caller's signature or token is not accepted."""

    def error(self, request: Request, error: ApiError, request_id: str) -> Response: ...


class SandboxHTTPServer(ThreadingHTTPServer):
    """A thread per connection, and a listen backlog that holds a benchmark's burst.

    socketserver's default backlog is 5 connections waiting for accept(). Fifty threads creating clusters
    at once overflow it: the kernel drops the SYNs (the client retries after 1, 3, 7… s and times out) or,
    when the accept queue is full at the handshake's last step, resets the connection: the "Connection
    reset by peer" `make bench` hit while creating clusters. The kernel caps the value at somaxconn.
    Reproduced and guarded by tests/sandbox/test_listen_backlog.py: 128 threads creating 512 clusters in
    `ackmigrate sandbox` get about 20 resets with a backlog of 5 and none with 1024.
    """

    request_queue_size = 1024
    daemon_threads = True


def new_request_id() -> str:
    return str(uuid.uuid4()).upper()


class ServiceServer:
    """One listening socket serving one Service (or the control API), on its own thread."""

    def __init__(
        self,
        *,
        world: World,
        service: Service,
        host: str,
        port: int,
        extra: Callable[[Request], Response | None] | None = None,
    ) -> None:
        self.world = world
        self.service = service
        self.extra = extra  # e.g. the control API on the ACK port; answered before the service, never logged
        handler_class = _make_handler(self)
        self.httpd = SandboxHTTPServer((host, port), handler_class)
        # A service whose clients insist on TLS (kubectl sends a token only over HTTPS) brings its own context;
        # the handshake then happens on the request's thread, not in accept().
        tls = getattr(service, "tls_context", None)
        self.scheme = "https" if tls is not None else "http"
        if tls is not None:
            self.httpd.socket = tls(host).wrap_socket(self.httpd.socket, server_side=True,
                                                       do_handshake_on_connect=False)
        # A short poll interval: shutdown() waits for the next poll, and tests stop seven servers each.
        serve = functools.partial(self.httpd.serve_forever, poll_interval=0.05)
        self.thread = threading.Thread(target=serve, name=f"sandbox-{service.name}", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"{self.scheme}://{host.decode() if isinstance(host, bytes) else host}:{port}"

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, request: Request) -> Response:
        if self.extra is not None:
            answered = self.extra(request)
            if answered is not None:
                return answered
        return self._handle_api_call(request)

    def _handle_api_call(self, request: Request) -> Response:
        started = time.monotonic()
        set_caller_account("")  # a keep-alive thread must not carry the previous request's signer
        request_id = new_request_id()
        route = self.service.route(request)
        action = route.action if route else "Unknown"
        fault = self.world.faults.take(self.service.name, action)
        is_fault = False
        if fault is not None and fault.latency_ms and not fault.delay_response:
            time.sleep(fault.latency_ms / 1000)
        try:
            if fault is not None and fault.fails:
                is_fault = True
                assert fault.http_status is not None
                raise ApiError(
                    fault.http_status,
                    fault.code or _default_code(fault.http_status),
                    fault.message or "Injected by the sandbox's fault API.",
                )
            if route is None:
                raise ApiError(404, "InvalidAction.NotFound", f"{request.method} {request.path} is not an API of this service.")
            if route.authenticate:
                self.service.authenticate(request, route)
            with self.world.lock:
                self.world.advance()
            response = route.handler(request)
        except ApiError as error:
            response = self.service.error(request, error, request_id)
            response.headers.update(error.headers)
            error_code = error.code
        except Exception as error:  # a sandbox bug: answer 500 the way the service would, and say so in the log
            log.exception("sandbox %s %s failed", self.service.name, action)
            response = self.service.error(
                request, ApiError(500, "InternalError", f"sandbox bug: {error!r}"), request_id
            )
            error_code = "InternalError"
        else:
            error_code = ""
        self.world.calls.record(
            service=self.service.name,
            action=action,
            method=request.method,
            path=request.path,
            status=response.status,
            time=time.time(),
            duration_ms=round((time.monotonic() - started) * 1000, 2),
            request_id=request_id,
            params=_loggable_params(request),
            error_code=error_code,
            fault=is_fault,
            account=caller_account(),
            region=_addressed_region(request),
        )
        if fault is not None and fault.delay_response:
            time.sleep(fault.latency_ms / 1000)  # applied and logged; only the answer is late
        return response


_OSS_V4_SCOPE = re.compile(r"Credential=[^/,]+/\d{8}/([a-z0-9-]+)/oss/")


def _addressed_region(request: Request) -> str:
    """The region a call was sent for, wherever its style puts it (for lanes in the call log)."""
    region = request.arg("RegionId") or request.header("x-acs-region-id")
    if region:
        return region
    if request.path.startswith("/regions/"):
        return request.path.split("/")[2]
    scope = _OSS_V4_SCOPE.search(request.header("authorization"))
    return scope.group(1) if scope else ""


def _default_code(status: int) -> str:
    if status == 429:
        return "Throttling.User"
    if status in (401, 403):
        return "Forbidden"
    if status == 404:
        return "NotFound"
    if status >= 500:
        return "ServiceUnavailable"
    return "InvalidParameter"


_SECRET_PARAMS = {"Signature", "AccessKeyId", "SecurityToken", "token"}


def _loggable_params(request: Request) -> dict[str, str]:
    """Query parameters minus credentials: enough to tell calls apart in a test or a demo."""
    return {k: v for k, v in request.query if k not in _SECRET_PARAMS}


def _make_handler(server: ServiceServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ackmigrate-sandbox"
        # Headers and body leave in two writes; with Nagle on, the body waits for the client's delayed
        # ACK (~40 ms on Linux) on every keep-alive response, a latency no real endpoint adds.
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            request = Request(
                method=self.command,
                path=parts.path,
                raw_path=self.path,
                query=parse_qsl(parts.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            response = server.handle(request)
            self.send_response(response.status)
            headers = {"Content-Length": str(len(response.body)), **response.headers}
            headers.setdefault("Content-Type", "application/json;charset=utf-8")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            log.debug("%s %s", server.service.name, format % args)

    return _Handler
