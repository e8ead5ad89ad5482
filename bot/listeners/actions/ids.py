"""The action ids of the buttons that belong to no one workflow (the message itself is drawn by
workers.messages). Each workflow's Approve and Reject ids are declared by its `Workflow`
(workers.domain.workflows): `approve_migration`, `reject_migration`, `approve_cleanup`, `reject_cleanup`."""

from __future__ import annotations

REQUEST_CLEANUP = "request_cleanup"
