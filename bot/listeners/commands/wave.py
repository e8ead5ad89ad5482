"""`/ackmigrate wave create|status|pause|resume|cancel …`: authorised and carried out by bot.waves, answered
privately inside the ack (a create is queued: the wave request is posted by a worker)."""

from __future__ import annotations

from bot.grammar import WaveCancel, WaveCommand, WaveCreate, WavePause, WaveResume, WaveStatus, render
from bot.services import Services
from bot.waves import WaveOutcome
from workers.ui.kit import Message


def answer_wave(services: Services, parsed: WaveCommand, *, user: str, channel: str, response_url: str | None,
                ) -> Message:
    """What the person is told, privately: what was done (or the wave's status), or why not (audited)."""
    outcome = _decide(services, parsed, user=user, channel=channel, response_url=response_url)
    if outcome.refusal is not None:
        return Message(text=outcome.refusal.text, blocks=[])
    return outcome.answer or Message(text=outcome.text, blocks=[])


def _decide(services: Services, parsed: WaveCommand, *, user: str, channel: str, response_url: str | None,
            ) -> WaveOutcome:
    waves = services.waves
    if isinstance(parsed, WaveCreate):
        return waves.create(parsed, user=user, channel=channel, command=render(parsed), response_url=response_url)
    if isinstance(parsed, WaveStatus):
        return waves.status(parsed.name, expected_migration_s=services.settings.expected_migration_s)
    if isinstance(parsed, WavePause):
        return waves.pause(parsed.name, user=user, channel=channel)
    if isinstance(parsed, WaveResume):
        return waves.resume(parsed.name, user=user, channel=channel)
    if isinstance(parsed, WaveCancel):
        return waves.cancel(parsed.name, user=user, channel=channel)
    raise AssertionError(f"no handler for {parsed!r}")
