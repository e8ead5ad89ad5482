"""Every id that crosses between what Slack shows and what the bot listens for: one module, imported by the
renderers that write them and the listeners that register them, so the two cannot drift apart.

The five button `action_id`s are public (ARCHITECTURE.md, "Names others rely on"): operators' workflows
and tests use them, so their strings never change. A button's `value` is the request id.
"""

from __future__ import annotations

from typing import Final

from workers.domain.workflows import CLEANUP, MIGRATION, WAVE

# -- the request message's buttons (public) -----------------------------------------------------------
# Approve and Reject belong to a workflow, which declares them (workers.domain.workflows); named here too
# so a listener registers them by name.
APPROVE_MIGRATION: Final = MIGRATION.approve_action
REJECT_MIGRATION: Final = MIGRATION.reject_action
APPROVE_CLEANUP: Final = CLEANUP.approve_action
REJECT_CLEANUP: Final = CLEANUP.reject_action
REQUEST_CLEANUP: Final = "request_cleanup"
"""On a succeeded migration's message and result: opens a cleanup request for the same cluster."""

# -- the reject dialog ---------------------------------------------------------------------------------
REJECT_CALLBACK_ID: Final = "reject_reason"
REASON_BLOCK_ID: Final = "reason"
REASON_ACTION_ID: Final = "reason_input"

# -- the `/ackmigrate` form and its external selects ----------------------------------------------------
FORM_CALLBACK_ID: Final = "ackmigrate_form"
CLUSTER_BLOCK: Final = "cluster"
CLUSTER_ACTION: Final = "cluster_select"
"""The cluster picker's external select: `block_suggestion` payloads name it, bot.listeners.options answers."""
BUCKET_BLOCK: Final = "bucket"
BUCKET_ACTION: Final = "bucket_select"
WHAT_BLOCK: Final = "what"
WHAT_ACTION: Final = "what_choice"

# -- a wave request's buttons (public) -------------------------------------------------------------------
APPROVE_WAVE: Final = WAVE.approve_action
"""On a wave request: counts the clicker's approval (M of N, `ACKMIGRATE_WAVE_APPROVALS_REQUIRED`). Value: the
wave's name."""
REJECT_WAVE: Final = WAVE.reject_action
"""On a wave request: opens the wave's reject dialog; its submission rejects the whole wave. Value: the wave's
name."""
REJECT_WAVE_CALLBACK_ID: Final = "reject_wave_reason"
"""The wave's reject dialog (the same reason field as the request's: REASON_BLOCK_ID / REASON_ACTION_ID)."""
