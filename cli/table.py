"""Plain-text tables for a terminal, and the one way a terminal command says Redis could not be read."""

from __future__ import annotations

import sys

from redis.exceptions import RedisError

from cli.exit_codes import EXIT_FAILED
from workers.config import Settings
from workers.redis_connection import describe_redis


def table(rows: list[list[str]]) -> str:
    """Left-aligned columns, as wide as their widest cell; the last column runs free."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def redis_failed(settings: Settings, error: RedisError) -> int:
    print(f"ackmigrate: cannot read Redis at {describe_redis(settings)}: {error}", file=sys.stderr)
    return EXIT_FAILED
