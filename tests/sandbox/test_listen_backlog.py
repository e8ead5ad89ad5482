"""The sandbox holds a benchmark's burst of new connections (the capacity benchmark once lost its whole
table to "Connection reset by peer" while fifty threads created clusters)."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sandbox.httpserver import SandboxHTTPServer


def test_the_listen_backlog_is_larger_than_any_burst_the_benchmarks_make() -> None:
    assert SandboxHTTPServer.request_queue_size >= 512


def test_two_hundred_clients_connecting_at_once_are_all_answered(sandbox: Any) -> None:
    host, port = sandbox.endpoints["ack"].removeprefix("http://").split(":")

    def connect(_: int) -> bytes:
        # A fresh connection each, as urllib makes them; the server is busy accepting the others.
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            conn.sendall(b"GET /_sandbox/faults HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return conn.recv(12)

    with ThreadPoolExecutor(200) as pool:
        answers = list(pool.map(connect, range(400)))
    assert answers == [b"HTTP/1.1 200"] * 400
