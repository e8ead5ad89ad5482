"""`/ackmigrate freeze [--until T] [--reason R]` and `unfreeze`: nothing new starts while frozen.

Freezing needs no approval (any authorised requester may stop things); unfreezing needs an approver.
Both are audited with the change (workers.freeze_store) and announced by a worker (Job.FREEZE_CHANGED)."""

from __future__ import annotations

from bot.grammar import Freeze, Unfreeze
from bot.services import Services


def answer_freeze(services: Services, parsed: Freeze | Unfreeze, *, user: str, channel: str) -> str:
    if isinstance(parsed, Freeze):
        outcome = services.waves.freeze(parsed, user=user, channel=channel)
    else:
        outcome = services.waves.unfreeze(user=user, channel=channel)
    return outcome.refusal.text if outcome.refusal is not None else outcome.text
