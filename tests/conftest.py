"""Shared fixtures: a private Redis per test session, a clean database per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis

from cli.local_redis import RedisServer


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.close()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """A Redis URL whose database is empty at the start of the test (the server is ours alone)."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    yield redis_server.url
    client.flushdb()
    client.close()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def sandbox() -> Iterator[Any]:
    """A fresh sandbox (every service, empty world) on free ports, stopped after the test."""
    from sandbox.runtime import Sandbox

    box = Sandbox(scenario="empty")
    box.start()
    yield box
    box.stop()


@pytest.fixture
def sandbox_env(sandbox: Any, redis_url: str) -> dict[str, str]:
    """The environment a bot or worker process would get: the sandbox's endpoints plus our Redis."""
    return {**sandbox.env(), "REDIS_URL": redis_url}
