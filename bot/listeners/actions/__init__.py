"""The request message's buttons: Approve, Reject, and "Clean up old masters".

A click is acknowledged at once (its HTTP answer carries nothing a person sees); the decision runs
right after, in Bolt's lazy listener: authorise, write the record, audit, queue. A refusal comes back
as a private message to the clicker, and the channel message is left as it was.
"""

from __future__ import annotations

from slack_bolt import App

from bot.errors import tell_user_on_error
from bot.listeners.acknowledge import acknowledge
from bot.listeners.actions.approve import approve
from bot.listeners.actions.approve_wave import approve_wave
from bot.listeners.actions.reject import open_reject_dialog
from bot.listeners.actions.reject_wave import open_wave_reject_dialog
from bot.listeners.actions.request_cleanup import request_cleanup
from bot.services import Services
from workers.domain.workflows import WAVE, WORKFLOWS
from workers.ui.ids import REQUEST_CLEANUP


def register(app: App, services: Services) -> None:
    """Every workflow's Approve and Reject, by the action ids its `Workflow` declares (the wave's by `WAVE`),
    and the cleanup button. Every Reject opens a reason dialog (bot.listeners.views)."""
    on_click = {REQUEST_CLEANUP: tell_user_on_error(request_cleanup, services),
                WAVE.approve_action: tell_user_on_error(approve_wave, services),
                WAVE.reject_action: tell_user_on_error(open_wave_reject_dialog, services)}
    for workflow in WORKFLOWS:
        on_click[workflow.approve_action] = tell_user_on_error(approve, services, workflow)
        on_click[workflow.reject_action] = tell_user_on_error(open_reject_dialog, services, workflow)
    for action_id, listener in on_click.items():
        app.action(action_id)(ack=acknowledge, lazy=[listener])
