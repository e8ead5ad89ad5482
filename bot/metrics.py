"""What the bot exposes on /metrics: commands by subcommand, decisions, refusals by reason, ack latency.

Defined once at import. Under `ackmigrate serve` each gunicorn worker is a separate process, so
bot.server points prometheus_client at a shared PROMETHEUS_MULTIPROC_DIR *before* this module is first
imported; /metrics then adds up every worker's values.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

COMMANDS = Counter(
    "ackmigrate_commands_total", "Slash commands received, by subcommand (usage_error: not understood).",
    ["subcommand"],
)
DECISIONS = Counter(
    "ackmigrate_decisions_total", "Approvals, rejections and cancellations that were applied.", ["decision"]
)
REFUSALS = Counter("ackmigrate_refusals_total", "Requests and clicks refused, by reason.", ["reason"])
ACK_LATENCY = Histogram(
    "ackmigrate_ack_latency_seconds",
    "Time from a Slack request reaching the bot to its acknowledgement, by request type.",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0),
)
