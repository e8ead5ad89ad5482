"""The suite's private Redis (shared with the demo, which lives in the sandbox package)."""

from sandbox.redis_local import RedisServer, free_port

__all__ = ["RedisServer", "free_port"]
