"""`ackmigrate sandbox`: a private redis-server for the local stack, then the simulated cloud and Slack.

The Redis is started here, not in the sandbox package, because the demo and the test suite start theirs
the same way (cli.local_redis) and the sandbox simulates the cloud and Slack only. It goes last when
the sandbox stops: the bot and the worker were told to stop at the same moment and still need Redis to
finish (RQ deregisters its worker and scheduler).
"""

from __future__ import annotations

import sys
import time

from cli.exit_codes import EXIT_FAILED, EXIT_OK
from cli.local_redis import RedisServer

REDIS_GRACE_S = 3.0


def run_sandbox_command(*, host: str, port: int, env_file: str | None, speed: float, scenario: str,
                        slack_request_url: str | None, private_redis: bool) -> int:
    """Exit as the sandbox does (0 clean stop, 2 bad arguments, 1 a port taken), or 1 when redis-server
    cannot start."""
    from sandbox.cli import run_sandbox  # only here: production images leave the sandbox out

    try:
        redis_server = _start_redis() if private_redis else None
    except RuntimeError as error:
        print(f"ackmigrate sandbox: {error} (or pass --no-redis and add your own REDIS_URL)", file=sys.stderr)
        return EXIT_FAILED
    code = EXIT_FAILED
    try:
        code = run_sandbox(host=host, port=port, env_file=env_file, speed=speed, scenario=scenario,
                           slack_request_url=slack_request_url,
                           redis_url=redis_server.url if redis_server else None)
    finally:
        if redis_server is not None:
            if code == EXIT_OK:
                time.sleep(REDIS_GRACE_S)
            redis_server.close()
    return code


def _start_redis() -> RedisServer:
    """In its own session, so a signal to the Procfile runner's process group leaves it to us to stop last."""
    server = RedisServer(own_session=True)
    server.start()
    return server
