"""Reject on a wave request, clicked through the Slack stand-in on the running bot: the reason dialog opens
for an approver (and for nobody else), its submission rejects the wave with the reason shown and audited,
a reason too long keeps the dialog open, and a wave approved while the dialog was open stays approved."""

from __future__ import annotations

import json
import time
from typing import Any

from slack_sdk import WebClient

from tests.bot.harness import RunningBot, eventually
from tests.bot.payloads import click_payload, reason_submission
from workers.audit import AuditLog
from workers.domain.waves import Wave, WaveCluster, WaveState
from workers.ui.wave_message import wave_message
from workers.wave_store import WaveStore

CHANNEL = "C0PLATFORM"


def _posted_wave(bot: RunningBot, name: str = "hz-batch-1") -> str:
    """A wave awaiting its approvers, its request message posted as the wave's tick would post it."""
    store = WaveStore(bot.redis)
    wave = store.create(Wave(name=name, requester="U0ALICE", channel=CHANNEL, approvals_required=2,
                             clusters=(WaveCluster("c01", "web-01", "main", "cn-hangzhou"),),
                             bucket_map={"cn-hangzhou": "ack-hz"}, state=WaveState.AWAITING_APPROVAL,
                             expires_at=time.time() + 3600))
    message = wave_message(wave, now=time.time(), approvers_label="<!subteam^S0PLATFORM>",
                           expected_migration_s=3600)
    client = WebClient(token=bot.settings.slack_bot_token, base_url=bot.settings.slack_api_url)
    ts = str(client.chat_postMessage(channel=CHANNEL, text=message.text, blocks=message.blocks)["ts"])
    store.set_message_ts(name, ts)
    return ts


def _wave(bot: RunningBot, name: str = "hz-batch-1") -> Wave:
    return WaveStore(bot.redis).get(name)


def _private(bot: RunningBot, user: str) -> list[str]:
    return [m["text"] for m in bot.control.slack_ephemeral(channel=CHANNEL, user=user)]


def _ticks(bot: RunningBot) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """The wave ticks queued, with the news each carries for the wave's thread (None: a redraw only)."""
    return [(args, json.loads(kwargs["news"]) if kwargs.get("news") else None)
            for name, args, kwargs in bot.jobs() if name == "workers.jobs.tick_wave"]



def wave_click(user: str, channel: str, message_ts: str, action_id: str, value: str) -> str:
    return click_payload(user, channel, message_ts, action_id, value, channel_name="platform")


def test_reject_on_a_wave_opens_a_reason_dialog_and_its_submission_rejects_with_the_reason(bot: RunningBot) -> None:
    ts = _posted_wave(bot)
    bot.control.click("U0CAROL", CHANNEL, ts, "reject_wave")
    (opened,) = eventually(lambda: bot.control.slack_views())
    assert opened["user"] == "U0CAROL" and opened["view"]["callback_id"] == "reject_wave_reason"
    assert "`hz-batch-1`" in json.dumps(opened["view"]["blocks"])
    assert _wave(bot).state is WaveState.AWAITING_APPROVAL  # nothing decided until submitted

    status, _ = bot.post_signed(reason_submission("U0CAROL", opened["view"], "not during <!here> the sale"))

    assert status == 200
    saved = eventually(lambda: (w := _wave(bot)).state is WaveState.REJECTED and w)
    assert (saved.decided_by, saved.rejection_reason) == ("U0CAROL", "not during <!here> the sale")
    assert eventually(lambda: _private(bot, "U0CAROL")) == [
        "Wave *hz-batch-1* is rejected: nothing will start. Your reason, shown on the wave's message and in "
        "its thread: "
        "not during &lt;!here&gt; the sale"]
    (entry,) = AuditLog(bot.redis).read()
    assert (entry.event, entry.actor, entry.details["wave"], entry.details["reason"]) == (
        "rejected", "U0CAROL", "hz-batch-1", "not during <!here> the sale")
    # the tick posts the rejection, with its reason, in the wave's thread and redraws its message
    assert _ticks(bot) == [(("hz-batch-1",), {"kind": "rejected", "by": "U0CAROL",
                                               "reason": "not during <!here> the sale",
                                               "version": saved.version})]


def test_reject_by_a_non_approver_or_off_the_waves_message_opens_no_dialog(bot: RunningBot) -> None:
    ts = _posted_wave(bot)
    bot.control.click("U0DAVE", CHANNEL, ts, "reject_wave")
    assert eventually(lambda: _private(bot, "U0DAVE")) == ["Only <!subteam^S0PLATFORM> can reject a wave."]
    status, _ = bot.post_signed(wave_click("U0CAROL", CHANNEL, "1700000000.424242", "reject_wave", "hz-batch-1"))
    assert status == 200
    (said,) = eventually(lambda: _private(bot, "U0CAROL"))
    assert said.startswith("That button is not on this wave's message")
    assert bot.control.slack_views() == []
    assert _wave(bot).state is WaveState.AWAITING_APPROVAL
    refused = [(e.event, e.details["reason"]) for e in AuditLog(bot.redis).read()]
    assert refused == [("refused", "not_approver"), ("refused", "foreign_click")]


def test_reject_on_a_wave_already_approved_opens_no_dialog(bot: RunningBot) -> None:
    ts = _posted_wave(bot)
    for approver in ("U0BOB", "U0DAVE"):
        WaveStore(bot.redis).approve("hz-batch-1", user=approver, at=time.time())
    bot.control.click("U0CAROL", CHANNEL, ts, "reject_wave")
    (said,) = eventually(lambda: _private(bot, "U0CAROL"))
    assert said.startswith("Wave `hz-batch-1` is approved, so it cannot be rejected.")
    assert bot.control.slack_views() == []
    assert _wave(bot).state is WaveState.APPROVED


def test_a_reason_too_long_keeps_the_dialog_open_with_the_error_and_rejects_nothing(bot: RunningBot) -> None:
    ts = _posted_wave(bot)
    bot.control.click("U0CAROL", CHANNEL, ts, "reject_wave")
    (opened,) = eventually(lambda: bot.control.slack_views())

    status, answer = bot.post_signed(reason_submission("U0CAROL", opened["view"], "x" * 501))

    assert status == 200
    assert json.loads(answer) == {"response_action": "errors",
                                  "errors": {"reason": "Keep the reason to 500 characters (it has 501)."}}
    time.sleep(0.3)  # the lazy half would have run by now; it must decide nothing
    assert _wave(bot).state is WaveState.AWAITING_APPROVAL
    assert AuditLog(bot.redis).read() == [] and _private(bot, "U0CAROL") == []


def test_a_wave_approved_while_the_dialog_was_open_is_not_rejected_and_the_person_is_told(bot: RunningBot) -> None:
    ts = _posted_wave(bot)
    bot.control.click("U0CAROL", CHANNEL, ts, "reject_wave")
    (opened,) = eventually(lambda: bot.control.slack_views())
    for approver in ("U0BOB", "U0DAVE"):  # approved meanwhile, by two others
        WaveStore(bot.redis).approve("hz-batch-1", user=approver, at=time.time())

    status, _ = bot.post_signed(reason_submission("U0CAROL", opened["view"], "too risky"))

    assert status == 200
    (said,) = eventually(lambda: _private(bot, "U0CAROL"))
    assert said.startswith("Wave `hz-batch-1` is approved, so it cannot be rejected.")
    saved = _wave(bot)
    assert (saved.state, saved.rejection_reason) == (WaveState.APPROVED, None)
    assert [(e.event, e.details["reason"]) for e in AuditLog(bot.redis).read()] == [("refused", "already_decided")]
