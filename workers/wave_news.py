"""The one place the wave engine tells the channel about a wave (waves, their clusters, the freeze).

Every call goes to `workers.wave_notify` (the wave message and its thread): the engine says *what*
happened, typed (`workers.domain.wave_events`), from the wave as the store saved it, after it is saved;
wave_notify words it, posts each line exactly once and redraws the parent, never making the engine wait
on Slack (a call writes Redis and queues a delivery).
"""

from __future__ import annotations

import logging

from workers import wave_notify
from workers.context import Context
from workers.domain.freeze import Freeze
from workers.domain.wave_events import WaveEvent, cluster_event_of
from workers.domain.waves import Wave
from workers.freeze_store import Unfrozen
from workers.requests import tell_privately
from workers.slack import SlackError, SlackRefused
from workers.ui import private_answers

log = logging.getLogger(__name__)


def request_posted(ctx: Context, wave: Wave, *, response_url: str | None) -> None:
    """The wave was created, awaiting approval: post its request message (Approve / Reject) now. If Slack
    is down the wave's delivery posts it later; if Slack refuses (the bot is not in the channel) the
    requester is told privately."""
    try:
        wave_notify.post_wave_request(ctx, wave.name)
    except SlackRefused as refused:
        hint = private_answers.INVITE_HINT if refused.code in ("not_in_channel", "channel_not_found") else str(refused)
        tell_privately(ctx, wave.channel, wave.requester, response_url, hint)
    except SlackError as error:
        log.warning("wave %s: the request message is not posted yet (%s); its delivery will", wave.name, error)
        wave_notify.wave_changed(ctx, wave.name)


def changed(ctx: Context, name: str) -> None:
    """Anything about the wave changed: redraw its parent message (wave_notify coalesces and throttles)."""
    wave_notify.wave_changed(ctx, name)


def cluster(ctx: Context, saved: Wave, cluster_id: str) -> None:
    """One thread line for what the store just recorded for `cluster_id` (its start or its end)."""
    wave_notify.cluster_event(ctx, saved.name, cluster_id, cluster_event_of(saved, cluster_id))


def wave(ctx: Context, name: str, event: WaveEvent) -> None:
    """One thread line for a change of the whole wave (approved, paused, resumed, cancelled, done)."""
    wave_notify.wave_event(ctx, name, event)


def freeze(ctx: Context, current: Freeze, *, by: str, channel: str) -> None:
    wave_notify.announce_freeze(ctx, current, by=by, channel=channel)


def unfreeze(ctx: Context, lifted: Freeze, *, by: str, channel: str) -> None:
    wave_notify.announce_unfreeze(ctx, Unfrozen(freeze=lifted, by=by), channel=channel)
