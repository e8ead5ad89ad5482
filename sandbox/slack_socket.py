"""Slack's Socket Mode, served by the stand-in, so `ackmigrate socket` is proven without a real Slack.

The conversation is Slack's: `apps.connections.open` (app-level token) hands out a single-use
`ws://…/link/?ticket=…` URL; the app connects, gets `hello`, then receives each slash command or click as
an envelope and must acknowledge it (`{"envelope_id": …, "payload": …}`) within Slack's 3 seconds. The ack
payload is the app's answer, exactly what an HTTP answer body would have been, so `sandbox.slack_delivery`
shows it to the person the same way.

The WebSocket listens on its own port: the shared HTTP plumbing answers a request with a body and never
hands over the connection, which an upgrade needs.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
import threading
import time
import uuid
import weakref
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from sandbox.slack_workspace import APP_ID, SlackWorkspace
from sandbox.websocket import CLOSE_GOING_AWAY, HandshakeError, WebSocket, accept_key, check_handshake

log = logging.getLogger("sandbox.slack_socket")

TICKET_TTL_S = 30.0
"""A connection URL is good for one connection, soon: an app that waits longer must ask for a new one."""

Mode = Literal["auto", "http", "socket"]
MODES: tuple[Mode, ...] = ("auto", "http", "socket")
"""auto: HTTP when a request URL is set, else Socket Mode when an app is connected (as an app switched to
Socket Mode behaves); http / socket force one of the two."""

_hubs: weakref.WeakKeyDictionary[SlackWorkspace, SocketModeHub] = weakref.WeakKeyDictionary()
"""Which hub serves a workspace: the workspace stays a plain model, the delivery code finds its socket here."""


def hub_for(workspace: SlackWorkspace) -> SocketModeHub | None:
    return _hubs.get(workspace)


def socket_target(workspace: SlackWorkspace) -> SocketModeHub | None:
    """The hub a command or click goes through, or None when it goes to the request URL over HTTP."""
    hub = hub_for(workspace)
    if hub is None or hub.mode == "http":
        return None
    if hub.mode == "socket" or not workspace.request_url and hub.connected:
        return hub
    return None


@dataclass
class _Session:
    ws: WebSocket
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    connected_at: float = field(default_factory=time.time)


@dataclass
class _PendingAck:
    done: threading.Event = field(default_factory=threading.Event)
    payload: Any = None


class SocketModeHub:
    """The Socket Mode side of one workspace's app: tickets, open connections, envelopes awaiting acks."""

    def __init__(self, workspace: SlackWorkspace, *, app_token: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.workspace = workspace
        self.app_token = app_token
        self.mode: Mode = "auto"
        self.stray_acks: list[dict[str, Any]] = []  # acks for envelopes nobody waits for (late or unknown)
        self._lock = threading.Lock()
        self._tickets: dict[str, float] = {}
        self._sessions: list[_Session] = []
        self._pending: dict[str, _PendingAck] = {}
        self.httpd = ThreadingHTTPServer((host, port), _make_handler(self))
        self.httpd.daemon_threads = True
        serve = functools.partial(self.httpd.serve_forever, poll_interval=0.05)
        self._thread = threading.Thread(target=serve, name="sandbox-slack-socket", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"ws://{host.decode() if isinstance(host, bytes) else host}:{port}"

    @property
    def connected(self) -> bool:
        return self.connections > 0

    @property
    def connections(self) -> int:
        with self._lock:
            return sum(1 for s in self._sessions if not s.ws.closed.is_set())

    def start(self) -> SocketModeHub:
        self._thread.start()
        _hubs[self.workspace] = self
        return self

    def stop(self) -> None:
        """Tell every app the server is going away, then stop listening."""
        _hubs.pop(self.workspace, None)
        self.close_connections("the sandbox is stopping")
        self.httpd.shutdown()
        self.httpd.server_close()

    def close_connections(self, reason: str = "the link is being recycled") -> int:
        """Close every open connection (1001), as Slack does now and then; apps must reconnect by themselves."""
        with self._lock:
            sessions = [s for s in self._sessions if not s.ws.closed.is_set()]
        for session in sessions:
            session.ws.close(CLOSE_GOING_AWAY, reason)
        return len(sessions)

    def request_refresh(self) -> int:
        """Ask every app to move to a new connection (`disconnect`, `refresh_requested`), as Slack does
        before it recycles one; a well-behaved app opens a new URL at once and closes the old link itself."""
        with self._lock:
            sessions = [s for s in self._sessions if not s.ws.closed.is_set()]
        message = json.dumps({"type": "disconnect", "reason": "refresh_requested",
                              "debug_info": {"host": "applink-sandbox"}})
        asked = 0
        for session in sessions:
            try:
                session.ws.send_text(message)
                asked += 1
            except OSError as error:  # it left while we were asking: nothing to refresh
                log.debug("socket mode connection %s gone before its refresh: %s", session.id, error)
        return asked

    # --- apps.connections.open ---------------------------------------------------------------------------

    def open_connection(self) -> str:
        """A fresh single-use WebSocket URL, as `apps.connections.open` returns it."""
        ticket = secrets.token_hex(16)
        with self._lock:
            self._tickets[ticket] = time.monotonic()
        return f"{self.url}/link/?ticket={ticket}&app_id={APP_ID}"

    def take_ticket(self, ticket: str) -> None:
        with self._lock:
            issued = self._tickets.pop(ticket, None)
        if issued is None:
            raise HandshakeError(401, "unknown or already used ticket: call apps.connections.open for a new URL")
        if time.monotonic() - issued > TICKET_TTL_S:
            raise HandshakeError(401, "expired ticket: call apps.connections.open for a new URL")

    # --- envelopes ---------------------------------------------------------------------------------------

    def deliver(
        self, envelope_type: str, payload: dict[str, Any], *, accepts_response_payload: bool, timeout: float
    ) -> dict[str, Any]:
        """Send one envelope and wait for its ack; the result has the keys of an HTTP delivery's answer.

        An ack is status 200 with its payload as a JSON body; no connection is status None (the person
        sees dispatch_failed); no ack in time is status None and late (operation_timeout), as over HTTP.
        """
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "slash_commands":
            envelope.update(retry_attempt=0, retry_reason="")
        base = {"transport": "socket_mode", "envelope_id": envelope_id, "body": "", "late": False}
        session, pending = self._newest_session(), _PendingAck()
        if session is None:
            return {**base, "status": None, "elapsed_ms": 0.0, "error": "no Socket Mode connection is open"}
        with self._lock:
            self._pending[envelope_id] = pending
        started = time.monotonic()
        try:
            session.ws.send_text(json.dumps(envelope))
            acked = pending.done.wait(timeout)
        except OSError as error:
            acked, base["error"] = False, f"could not send on Socket Mode connection {session.id}: {error}"
        finally:
            with self._lock:
                self._pending.pop(envelope_id, None)
        elapsed_ms = round((time.monotonic() - started) * 1000, 1)
        if "error" in base:
            return {**base, "status": None, "elapsed_ms": elapsed_ms}
        if not acked:
            return {**base, "status": None, "elapsed_ms": elapsed_ms, "late": True,
                    "error": f"no ack for envelope {envelope_id} within {timeout:g} s"}
        body = json.dumps(pending.payload) if pending.payload else ""
        return {**base, "status": 200, "body": body, "content_type": "application/json", "elapsed_ms": elapsed_ms}

    def send_raw(self, text: str) -> bool:
        """Push `text` as it is on the newest connection: how a test sends an oversized or malformed
        envelope, which Slack itself never would. False when no app is connected."""
        session = self._newest_session()
        if session is None:
            return False
        session.ws.send_text(text)
        return True

    def _newest_session(self) -> _Session | None:
        """Slack spreads envelopes over an app's connections; the newest one is as good as any here."""
        with self._lock:
            live = [s for s in self._sessions if not s.ws.closed.is_set()]
        return live[-1] if live else None

    # --- one connection ----------------------------------------------------------------------------------

    def serve(self, ws: WebSocket) -> None:
        """Greet the app, then read its acks until it leaves; runs on the connection's own thread."""
        session = _Session(ws)
        with self._lock:  # held while greeting, so no envelope can overtake the hello
            self._sessions = [s for s in self._sessions if not s.ws.closed.is_set()]
            ws.send_text(json.dumps(_hello(len(self._sessions) + 1)))
            self._sessions.append(session)
        try:
            while (text := ws.receive()) is not None:
                self._on_text(session, text)
        finally:
            with self._lock:
                self._sessions.remove(session)
            ws.close()

    def _on_text(self, session: _Session, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            log.warning("socket mode connection %s sent non-JSON text: %.200s", session.id, text)
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        if not envelope_id:
            log.warning("socket mode connection %s sent a message that is not an ack: %.200s", session.id, text)
            return
        with self._lock:
            pending = self._pending.get(str(envelope_id))
            if pending is None:
                self.stray_acks.append(message)
                return
            pending.payload = message.get("payload")
            pending.done.set()


def _hello(num_connections: int) -> dict[str, Any]:
    return {
        "type": "hello",
        "num_connections": num_connections,
        "debug_info": {"host": "applink-sandbox", "build_number": 1, "approximate_connection_time": 18060},
        "connection_info": {"app_id": APP_ID},
    }


def _make_handler(hub: SocketModeHub) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ackmigrate-sandbox"

        def do_GET(self) -> None:  # noqa: N802 - the base class's naming
            parts = urlsplit(self.path)
            try:
                if parts.path.rstrip("/") != "/link":
                    raise HandshakeError(404, f"no WebSocket endpoint at {parts.path}; use the URL apps.connections.open gives")
                hub.take_ticket(dict(parse_qsl(parts.query)).get("ticket", ""))
                key = check_handshake({k.lower(): v for k, v in self.headers.items()})
            except HandshakeError as error:
                body = f"{error}\n".encode()
                self.send_response(error.status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True
                return
            self.send_response(101, "Switching Protocols")
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", accept_key(key))
            self.end_headers()
            self.close_connection = True
            hub.serve(WebSocket(self.connection, self.rfile))

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            log.debug("slack socket %s", format % args)

    return _Handler
