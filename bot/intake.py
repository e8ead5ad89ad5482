"""What the bot accepts as a request before Bolt sees it: bounded, signed, and shaped like Slack's.

Bolt parses a body before it checks the signature and trusts its shape: an unsigned `payload=[1,2]`
raised inside Bolt and came back as a 500 with a traceback. Here the order is the safe one — size
first (without reading), signature next, shape last — and every refusal is a plain status with one log
line. Socket Mode envelopes go through the same size and shape checks (bot.socket_mode).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from slack_bolt.request.internals import parse_body

from bot.limits import MAX_BODY_BYTES


@dataclass(frozen=True)
class Refused(Exception):
    """A request the bot will not hand to Bolt: the HTTP status to answer and why (for the log)."""

    status: int
    reason: str

    def __str__(self) -> str:
        return f"{self.status}: {self.reason}"


TOO_LARGE = 413
UNSIGNED = 401
MALFORMED = 400


def declared_length(content_length: str | None) -> int | None:
    """The body size a request announces; None when it announces none (chunked). Refused when unbounded."""
    if content_length in (None, ""):
        return None
    try:
        length = int(str(content_length))
    except ValueError:
        raise Refused(MALFORMED, f"Content-Length {str(content_length)[:40]!r} is not a number") from None
    if length < 0:
        raise Refused(MALFORMED, "negative Content-Length")
    if length > MAX_BODY_BYTES:
        raise Refused(TOO_LARGE, f"a body of {length} bytes is over the {MAX_BODY_BYTES}-byte limit")
    return length


def check_size(body: bytes) -> None:
    if len(body) > MAX_BODY_BYTES:
        raise Refused(TOO_LARGE, f"the body is over the {MAX_BODY_BYTES}-byte limit")


_SIGNATURE_RE = re.compile(r"^v0=[0-9a-f]{64}$")


def plausible_signature(timestamp: str, signature: str) -> bool:
    """Slack's headers have one shape: seconds since the epoch, and `v0=` with 64 hex digits."""
    return timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12 \
        and _SIGNATURE_RE.match(signature) is not None


def decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Refused(MALFORMED, f"the body is not UTF-8 ({error.reason} at byte {error.start})") from None


def parse_http_body(text: str, content_type: str | None) -> dict[str, Any]:
    """The body as Bolt will read it (its own parser), refused unless it is a JSON object or a form."""
    try:
        body = parse_body(text, content_type)
    except ValueError as error:  # JSONDecodeError: a `payload` field or JSON body that is not JSON
        raise Refused(MALFORMED, f"the body is not valid JSON: {error}") from None
    return _object(body, "the body")


def parse_envelope(raw: str) -> dict[str, Any]:
    """A Socket Mode message: a JSON object, and when it carries a payload, an object payload."""
    if len(raw.encode("utf-8", "replace")) > MAX_BODY_BYTES:
        raise Refused(TOO_LARGE, f"an envelope of {len(raw)} characters is over the {MAX_BODY_BYTES}-byte limit")
    try:
        message = json.loads(raw)
    except ValueError as error:
        raise Refused(MALFORMED, f"the envelope is not JSON: {error}") from None
    envelope = _object(message, "the envelope")
    if "payload" in envelope:
        _object(envelope["payload"], "the envelope's payload")
    return envelope


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Refused(MALFORMED, f"{what} is a JSON {type(value).__name__}, not an object")
    for key in ("user", "channel", "team", "view", "container", "message"):
        if key in value and value[key] is not None and not isinstance(value[key], dict | str):
            raise Refused(MALFORMED, f"{what}'s `{key}` is a {type(value[key]).__name__}")
    actions = value.get("actions")
    if actions is not None and not (isinstance(actions, list) and all(isinstance(a, dict) for a in actions)):
        raise Refused(MALFORMED, f"{what}'s `actions` is not a list of objects")
    return value
