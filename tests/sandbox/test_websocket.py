"""The stand-in's WebSocket on the wire (RFC 6455), spoken by hand where slack_sdk would never misbehave.

A raw TCP client sends exactly the bytes under test: handshakes with a bad or reused ticket, an unmasked
frame, a ping, a close. What it reads back is what any WebSocket client would get.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from slack_sdk import WebClient

from sandbox.runtime import SLACK_APP_TOKEN, Sandbox
from sandbox.websocket import OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, accept_key


def connection_url(sandbox: Sandbox) -> str:
    client = WebClient(base_url=sandbox.endpoints["slack"] + "/api/", timeout=10)
    return str(client.apps_connections_open(app_token=SLACK_APP_TOKEN)["url"])


class RawClient:
    """A WebSocket client with nothing hidden: the handshake and every frame are written out here."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.key = base64.b64encode(os.urandom(16)).decode()
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
        self.reader = self.sock.makefile("rb")
        request = (
            f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {self.key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        self.status = int(self.reader.readline().split()[1])
        self.headers: dict[str, str] = {}
        while (line := self.reader.readline().decode().strip()):
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def send(self, opcode: int, payload: bytes, *, masked: bool = True) -> None:
        mask = os.urandom(4) if masked else b""
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) if masked else payload
        self.sock.sendall(bytes([0x80 | opcode, (0x80 if masked else 0) | len(payload)]) + mask + body)

    def receive(self) -> tuple[int, bytes]:
        head = self.reader.read(2)
        assert len(head) == 2, "the server closed the TCP connection without a close frame"
        assert not head[1] & 0x80, "server frames must not be masked"
        length = head[1] & 0x7F
        if length == 126:
            length = struct.unpack("!H", self.reader.read(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self.reader.read(8))[0]
        return head[0] & 0x0F, self.reader.read(length)

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[RawClient]:
    raw = RawClient(connection_url(sandbox))
    yield raw
    raw.close()


def test_the_handshake_switches_protocols_and_proves_it_read_the_key(client: RawClient) -> None:
    assert client.status == 101
    assert client.headers["upgrade"].lower() == "websocket"
    assert client.headers["sec-websocket-accept"] == accept_key(client.key)
    opcode, payload = client.receive()
    assert opcode == OP_TEXT and json.loads(payload)["type"] == "hello"


def test_the_accept_key_is_the_one_rfc_6455_gives_for_its_example() -> None:
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_a_ticket_works_once(sandbox: Sandbox) -> None:
    url = connection_url(sandbox)
    first, second = RawClient(url), RawClient(url)
    first.close()
    second.close()

    assert (first.status, second.status) == (101, 401)


def test_a_made_up_ticket_is_refused(sandbox: Sandbox) -> None:
    parts = urlsplit(connection_url(sandbox))
    raw = RawClient(f"ws://{parts.netloc}/link/?ticket=made-up")
    raw.close()

    assert raw.status == 401


def test_a_ping_is_answered_with_a_pong_carrying_the_same_data(client: RawClient) -> None:
    client.receive()  # hello

    client.send(OP_PING, b"are you there")

    assert client.receive() == (OP_PONG, b"are you there")


def test_a_close_is_answered_with_the_same_code(client: RawClient) -> None:
    client.receive()  # hello

    client.send(OP_CLOSE, struct.pack("!H", 1000) + b"bye")

    opcode, payload = client.receive()
    assert opcode == OP_CLOSE and struct.unpack("!H", payload[:2])[0] == 1000


def test_an_unmasked_frame_from_a_client_closes_the_connection_as_a_protocol_error(client: RawClient) -> None:
    client.receive()  # hello

    client.send(OP_TEXT, b'{"envelope_id": "x"}', masked=False)

    opcode, payload = client.receive()
    assert opcode == OP_CLOSE and struct.unpack("!H", payload[:2])[0] == 1002
    assert b"masked" in payload


def test_stopping_the_sandbox_tells_connected_apps_it_is_going_away(sandbox: Sandbox, client: RawClient) -> None:
    client.receive()  # hello

    sandbox.stop()

    opcode, payload = client.receive()
    assert opcode == OP_CLOSE and struct.unpack("!H", payload[:2])[0] == 1001
