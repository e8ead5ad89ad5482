"""Every size limit the bot enforces on what reaches it, in one place (the README's security model cites them).

Slack's clients enforce some of these too (a dialog's `max_length`), but anyone holding a request with a
valid signature — or a bug in a client — can send more, so each is checked again on the server.
"""

from __future__ import annotations

MAX_BODY_BYTES = 2 * 1024 * 1024
"""2 MiB: the largest HTTP body (or Socket Mode envelope) the bot reads.

What Slack sends ackmigrate echoes surfaces ackmigrate itself made. The largest is a click on a message,
whose payload carries the whole message: chat.postMessage caps one at 40,000 characters of text and 50
blocks of at most 3,000 characters each (https://docs.slack.dev/reference/methods/chat.postMessage,
https://docs.slack.dev/reference/block-kit/blocks), about 190,000 characters. JSON-escaped (`\\uXXXX` for
non-ASCII: https://docs.slack.dev/reference/views/modal-views) and then form-encoded, a character costs at
most 8 bytes: about 1.5 MB for the largest message Slack lets any app post. ackmigrate's own messages are
far smaller (a click on a request message with every check listed is about 6 KB) and its modals have a
few inputs of at most 500 characters. 2 MiB leaves room above all of it, and eight concurrent maximal
requests (2 workers x 4 threads) hold at most 16 MiB of bodies.
"""

MAX_COMMAND_TEXT = 2000
"""Characters after `/ackmigrate`: the longest valid command is a few cluster and bucket names (each at
most 63 characters), so anything longer is refused with the usage before it is parsed."""

REASON_MAX_LENGTH = 500
"""A rejection's reason, shown in the request's thread: the dialog's `max_length`, checked again on
submission (`response_action: errors` on the field when longer)."""

MAX_QUERY_TEXT = 100
"""What a person typed in a picker, as matched against names and ids (at most 63 characters each):
anything longer cannot match and is cut before it is compared."""
