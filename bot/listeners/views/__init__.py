"""View submissions: the reject dialogs — a request's and a wave's (the rejection, with its reason) — and the
`/ackmigrate` modal."""

from __future__ import annotations

from slack_bolt import App

from bot.errors import tell_user_on_error
from bot.listeners.views.migration_form import check_form, run_form
from bot.listeners.views.reject_dialog import close_dialog, reject_with_reason
from bot.listeners.views.reject_wave_dialog import close_wave_dialog, reject_wave_with_reason
from bot.services import Services
from workers.ui.ids import FORM_CALLBACK_ID, REJECT_CALLBACK_ID, REJECT_WAVE_CALLBACK_ID


def register(app: App, services: Services) -> None:
    app.view(REJECT_CALLBACK_ID)(ack=close_dialog, lazy=[tell_user_on_error(reject_with_reason, services)])
    app.view(REJECT_WAVE_CALLBACK_ID)(ack=close_wave_dialog,
                                      lazy=[tell_user_on_error(reject_wave_with_reason, services)])
    app.view(FORM_CALLBACK_ID)(ack=check_form, lazy=[tell_user_on_error(run_form, services)])
