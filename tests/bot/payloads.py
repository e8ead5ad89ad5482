"""Interaction payloads as Slack signs and sends them, for bot tests that craft what the sandbox's simulated
users would not send (a click naming another channel or message, a dialog submitted with any reason)."""

from __future__ import annotations

import json
import time
import urllib.parse
from typing import Any


def click_payload(user: str, channel: str, message_ts: str, action_id: str, value: str, *,
                  channel_name: str = "elsewhere") -> str:
    """A block_actions payload naming any channel and message (a crafted click), form-encoded."""
    payload = {
        "type": "block_actions",
        "team": {"id": "T0SANDBOX", "domain": "sandbox"},
        "user": {"id": user, "team_id": "T0SANDBOX"},
        "api_app_id": "A0ACKMIGRATE",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False},
        "channel": {"id": channel, "name": channel_name},
        "trigger_id": "1.2.3",
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value,
                     "action_ts": str(time.time())}],
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def reason_submission(user: str, view: dict[str, Any], reason: str) -> str:
    """A reject dialog (`view`, as it was opened) submitted with `reason` in its field, form-encoded."""
    payload = {
        "type": "view_submission",
        "team": {"id": "T0SANDBOX", "domain": "sandbox"},
        "user": {"id": user, "team_id": "T0SANDBOX"},
        "api_app_id": "A0ACKMIGRATE",
        "view": {**view, "id": "V0TEST",
                 "state": {"values": {"reason": {"reason_input": {"type": "plain_text_input", "value": reason}}}}},
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})
