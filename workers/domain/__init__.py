"""The domain: pure values and rules — no Redis, no Slack, no cloud SDK, no I/O (import-linter checks it)."""
