"""The pure domain: records, workflows, waves, windows, risk and freezes — no Redis, Slack, cloud SDK or I/O."""
