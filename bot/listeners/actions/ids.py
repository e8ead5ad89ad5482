"""The action ids of the request message's buttons (the message itself is drawn by workers.messages)."""

from __future__ import annotations

APPROVE_MIGRATION = "approve_migration"
REJECT_MIGRATION = "reject_migration"
APPROVE_CLEANUP = "approve_cleanup"
REJECT_CLEANUP = "reject_cleanup"
REQUEST_CLEANUP = "request_cleanup"
