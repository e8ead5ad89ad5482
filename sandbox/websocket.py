"""The server side of RFC 6455, just enough for Slack's Socket Mode: handshake, text frames, ping/pong, close.

The sandbox must not add dependencies, and slack_sdk's own Socket Mode client is the thing under test, so
the server half is written here with the stdlib. It is strict where a lax server would hide client bugs:
client frames must be masked (section 5.1), the handshake must carry `Sec-WebSocket-Key` and version 13,
and the accept header is computed exactly as section 4.2.2 says, because slack_sdk checks it.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import socket
import struct
import threading
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger("sandbox.websocket")

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONTINUATION, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_UNSUPPORTED = 1003

MAX_MESSAGE = 16 * 1024 * 1024
"""A larger frame from the bot is a bug on its side; refusing it beats buffering it."""


class Readable(Protocol):
    """Where frames come from: the handler's buffered reader, which may already hold bytes after the handshake."""

    def read(self, size: int = ..., /) -> bytes: ...


class ProtocolError(Exception):
    """The client broke RFC 6455; the connection is closed with 1002 and this reason."""


class HandshakeError(Exception):
    """The upgrade request is not a WebSocket handshake we accept; answered with this HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def accept_key(client_key: str) -> str:
    """`Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`: base64(SHA-1(key + GUID))."""
    return base64.b64encode(hashlib.sha1((client_key + GUID).encode()).digest()).decode()


def check_handshake(headers: dict[str, str]) -> str:
    """The client's key when `headers` (lower-case names) ask for a version-13 WebSocket upgrade."""
    if headers.get("upgrade", "").lower() != "websocket":
        raise HandshakeError(426, "this endpoint only speaks WebSocket: send Upgrade: websocket")
    if "upgrade" not in headers.get("connection", "").lower():
        raise HandshakeError(400, "a WebSocket handshake needs Connection: Upgrade")
    if headers.get("sec-websocket-version", "") != "13":
        raise HandshakeError(426, "only WebSocket version 13 is supported")
    key = headers.get("sec-websocket-key", "").strip()
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            raise ValueError(key)
    except ValueError:
        raise HandshakeError(400, "Sec-WebSocket-Key must be 16 bytes in base64") from None
    return key


def encode_frame(opcode: int, payload: bytes) -> bytes:
    """One unfragmented, unmasked frame: servers never mask (RFC 6455 section 5.1)."""
    head = bytes([0x80 | opcode])
    length = len(payload)
    if length <= 125:
        head += bytes([length])
    elif length <= 0xFFFF:
        head += struct.pack("!BH", 126, length)
    else:
        head += struct.pack("!BQ", 127, length)
    return head + payload


@dataclass
class Frame:
    fin: bool
    opcode: int
    payload: bytes


def read_frame(stream: Readable) -> Frame | None:
    """The next frame from a client, unmasked; None when the peer closed the TCP connection."""
    head = _read_exactly(stream, 2)
    if head is None:
        return None
    fin, opcode = bool(head[0] & 0x80), head[0] & 0x0F
    if head[0] & 0x70:
        raise ProtocolError("reserved bits set without a negotiated extension")
    if not head[1] & 0x80:
        raise ProtocolError("client frames must be masked")
    length = head[1] & 0x7F
    if length >= 126:
        extended = _require(stream, 2 if length == 126 else 8)
        length = struct.unpack("!H" if len(extended) == 2 else "!Q", extended)[0]
    if length > MAX_MESSAGE:
        raise ProtocolError(f"a {length}-byte frame is larger than this server accepts")
    if opcode >= OP_CLOSE and (length > 125 or not fin):
        raise ProtocolError("control frames must be unfragmented and at most 125 bytes")
    mask = _require(stream, 4)
    data = _require(stream, length)
    return Frame(fin=fin, opcode=opcode, payload=bytes(b ^ mask[i % 4] for i, b in enumerate(data)))


def _read_exactly(stream: Readable, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            if data:
                raise ProtocolError("the connection ended inside a frame")
            return None
        data += chunk
    return data


def _require(stream: Readable, size: int) -> bytes:
    data = _read_exactly(stream, size) if size else b""
    if data is None:
        raise ProtocolError("the connection ended inside a frame")
    return data


class WebSocket:
    """One accepted connection: send text, answer pings, close; `receive()` returns the text received.

    Sends come from other threads (a delivery waiting for its ack) while one thread reads, so writes are
    serialised by a lock and reading never takes it.
    """

    def __init__(self, sock: socket.socket, reader: Readable) -> None:
        self.sock = sock
        self.reader = reader
        self._send_lock = threading.Lock()
        self.closed = threading.Event()
        self.close_code: int | None = None

    def send_text(self, text: str) -> None:
        self._send(OP_TEXT, text.encode())

    def ping(self, payload: bytes = b"") -> None:
        self._send(OP_PING, payload)

    def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """Start (or finish) the closing handshake; the reader ends when the client answers or leaves."""
        if self.closed.is_set():
            return
        self.closed.set()
        try:
            self._send(OP_CLOSE, struct.pack("!H", code) + reason.encode()[:123])
        except OSError as error:  # the peer is already gone: there is nobody left to tell
            log.debug("websocket close frame not sent: %s", error)
        finally:
            self._shutdown()

    def receive(self) -> str | None:
        """The next text message; None once the connection is over.

        Control frames are answered here (pong for ping, close for close), so the caller only sees text.
        """
        fragments: list[bytes] = []
        while True:
            try:
                frame = read_frame(self.reader)
            except ProtocolError as error:
                self.close(CLOSE_PROTOCOL_ERROR, str(error))
                return None
            except OSError as error:  # reset by the peer, or shut down by close(): the connection is over
                log.debug("websocket read ended: %s", error)
                self.closed.set()
                return None
            if frame is None:
                self.closed.set()
                return None
            if frame.opcode == OP_PING:
                self._send(OP_PONG, frame.payload)
            elif frame.opcode == OP_PONG:
                continue
            elif frame.opcode == OP_CLOSE:
                self.close_code = struct.unpack("!H", frame.payload[:2])[0] if len(frame.payload) >= 2 else 1005
                self.close(CLOSE_NORMAL if self.close_code == 1005 else self.close_code)
                return None
            elif frame.opcode == OP_BINARY:
                self.close(CLOSE_UNSUPPORTED, "binary frames are not part of Socket Mode")
                return None
            elif frame.opcode == OP_TEXT and not fragments or frame.opcode == OP_CONTINUATION and fragments:
                fragments.append(frame.payload)
                if frame.fin:
                    return b"".join(fragments).decode("utf-8", "replace")
            else:
                self.close(CLOSE_PROTOCOL_ERROR, f"unexpected opcode {frame.opcode} at this point of a message")
                return None

    def _send(self, opcode: int, payload: bytes) -> None:
        with self._send_lock:
            self.sock.sendall(encode_frame(opcode, payload))

    def _shutdown(self) -> None:
        """Unblock the reading thread: a read on a shut-down socket returns end-of-stream."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError as error:  # already disconnected by the peer
            log.debug("websocket shutdown: %s", error)
