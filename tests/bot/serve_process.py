"""`ackmigrate serve` as its own process, for the bot's tests and the ack benchmark.

One implementation, shared with the end-to-end tests (logs to a file, never to a pipe nobody reads).
"""

from tests.e2e.processes import ACKMIGRATE, ackmigrate_serve, stop_process

__all__ = ["ACKMIGRATE", "ackmigrate_serve", "stop_process"]
