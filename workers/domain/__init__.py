"""The pure core (issue 10): values and rules with no Redis, no Slack client and no cloud SDK."""
