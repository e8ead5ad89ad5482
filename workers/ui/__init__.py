"""Every text a person reads in Slack and all Block Kit, split by surface (issue 10)."""
