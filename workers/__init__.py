"""Everything that runs in the background: jobs, the migration runbook, cloud clients, records."""
