"""The fleet: every dedicated cluster across the configured accounts and regions (naming, plan, report)."""
