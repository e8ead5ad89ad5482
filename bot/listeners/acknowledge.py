"""The acknowledgement of a listener whose work is all in its lazy half: an empty 200, nothing a person sees."""

from __future__ import annotations

from slack_bolt import Ack


def acknowledge(ack: Ack) -> None:
    ack()
