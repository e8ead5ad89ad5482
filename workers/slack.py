"""The worker's one door to Slack: post, reply in a thread, update, whisper, respond, link.

Slack's errors come out as two kinds only, because callers decide one thing: try again later
(`SlackUnavailable`: rate limited, 5xx, network) or tell someone why it cannot work (`SlackRefused`:
Slack answered `ok: false`, e.g. `not_in_channel`). The retry handlers absorb short blips (one
Retry-After wait, a reconnect) so a job rarely has to reschedule for them.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.webhook import WebhookClient

from workers.slack_pace import UPDATE_LANE, UPDATE_PATIENCE_S, UPDATES_PER_MINUTE, ChannelPacer, Paced

T = TypeVar("T")
Blocks = Sequence[dict[str, Any]] | None


class SlackError(Exception):
    """A Slack call did not do what was asked; `code` is Slack's error string (or the HTTP status)."""

    def __init__(self, method: str, code: str, *, retry_after_s: float | None = None) -> None:
        self.method = method
        self.code = code
        self.retry_after_s = retry_after_s
        super().__init__(f"Slack {method} failed: {code}")


class SlackUnavailable(SlackError):
    """Rate limited, 5xx or unreachable: the same call may work later, so it is retried later."""


class SlackPaced(SlackUnavailable):
    """Not sent: the channel's pacer (workers.slack_pace) has no turn free soon enough. `retry_after_s` is
    when to try again: just before the turn the pacer reserved for this post (a marked post, or an edit), so
    the delivery reschedules itself once and keeps its turn; `turn_in_s` is when that turn is (how long the
    delivery waiting for it may be expected to take). The post certainly did not happen, so there is nothing
    to look for later."""

    def __init__(self, method: str, *, retry_after_s: float, turn_in_s: float) -> None:
        super().__init__(method, "paced", retry_after_s=retry_after_s)
        self.turn_in_s = turn_in_s


class SlackRefused(SlackError):
    """Slack answered and said no (`not_in_channel`, `channel_not_found`, `expired_url`…)."""


MARK_EVENT_TYPE = "ackmigrate_message"
"""The `event_type` of the message metadata on everything ackmigrate posts for a record."""

_LOOKUP_PAGE = 200
_LOOKUP_PAGES = 10  # a thread or a channel's recent history: 2,000 messages is far more than a record makes


@dataclass(frozen=True)
class MessageMark:
    """Which record's which message this is, carried in Slack message metadata.

    A post whose answer was lost (the worker was killed between Slack accepting it and our saving its
    ts) is found again by this mark, so it is never posted twice. `seq` 0 is the request message; n is
    the thread's n-th reply. See https://docs.slack.dev/messaging/message-metadata.
    """

    record_id: str
    seq: int

    def metadata(self) -> dict[str, Any]:
        return {"event_type": MARK_EVENT_TYPE, "event_payload": {"record_id": self.record_id, "seq": self.seq}}

    @classmethod
    def of(cls, message: dict[str, Any]) -> MessageMark | None:
        """The mark on a message from conversations.history/replies, or None (someone else's message)."""
        metadata = message.get("metadata")
        if not isinstance(metadata, dict) or metadata.get("event_type") != MARK_EVENT_TYPE:
            return None
        payload = metadata.get("event_payload")
        if not isinstance(payload, dict):
            return None
        try:
            return cls(record_id=str(payload["record_id"]), seq=int(payload["seq"]))
        except (KeyError, TypeError, ValueError):
            return None


def _retry_handlers() -> list[RetryHandler]:
    return [ConnectionErrorRetryHandler(max_retry_count=2), RateLimitErrorRetryHandler(max_retry_count=1)]


@dataclass(frozen=True)
class FileUpload:
    """One file to share: its name (the extension sets Slack's preview), title and bytes."""

    filename: str
    title: str
    content: bytes


class SlackClient:
    """The bot user's Web API calls the workers make, over `WebClient(base_url=SLACK_API_URL)`."""

    def __init__(
        self, *, token: str, base_url: str, timeout_s: int = 10, pacer: ChannelPacer | None = None
    ) -> None:
        self._client = WebClient(
            token=token, base_url=base_url, timeout=timeout_s, retry_handlers=_retry_handlers()
        )
        self._timeout_s = timeout_s
        self._pacer = pacer

    def post(
        self, channel: str, text: str, blocks: Blocks = None, *, mark: MessageMark | None = None,
        patience_s: float | None = None,
    ) -> str:
        """A top-level message; returns its ts (the thread all later replies go to).

        Every post to a channel takes its turn from the pacer first (workers.slack_pace): it may wait up to
        `patience_s` (default the pacer's), else SlackPaced is raised and nothing was sent (a marked post's
        turn is reserved for it: it gets that turn when it is posted again)."""
        self._pace(channel, patience_s, mark)
        response = self._call(
            "chat.postMessage",
            lambda: self._client.chat_postMessage(
                channel=channel, text=text, blocks=_blocks(blocks), metadata=_metadata(mark)
            ),
        )
        return str(response["ts"])

    def post_reply(
        self,
        channel: str,
        thread_ts: str,
        text: str,
        blocks: Blocks = None,
        *,
        broadcast: bool = False,
        mark: MessageMark | None = None,
        patience_s: float | None = None,
    ) -> str:
        """A reply in a thread; `broadcast` also shows it in the channel (the final result). Paced like `post`:
        Slack counts thread replies against the channel's one message per second too."""
        self._pace(channel, patience_s, mark)
        response = self._call(
            "chat.postMessage",
            lambda: self._client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=text,
                blocks=_blocks(blocks),
                reply_broadcast=broadcast,
                metadata=_metadata(mark),
            ),
        )
        return str(response["ts"])

    def marks_in_thread(self, channel: str, thread_ts: str) -> dict[MessageMark, str]:
        """Our marked messages in a thread (parent included), mark → ts: what a lost post left behind."""
        return dict(self._marks("conversations.replies", lambda cursor: self._client.conversations_replies(
            channel=channel, ts=thread_ts, include_all_metadata=True, limit=_LOOKUP_PAGE, cursor=cursor
        )))

    def marks_in_channel(self, channel: str, oldest: float) -> dict[MessageMark, str]:
        """Our marked top-level messages posted since `oldest` (epoch seconds), mark → ts."""
        return dict(self._marks("conversations.history", lambda cursor: self._client.conversations_history(
            channel=channel, oldest=f"{oldest:.6f}", include_all_metadata=True, limit=_LOOKUP_PAGE, cursor=cursor
        )))

    def _marks(self, method: str, page: Callable[[str | None], Any]) -> Iterator[tuple[MessageMark, str]]:
        cursor: str | None = None
        for _ in range(_LOOKUP_PAGES):
            response = self._call(method, lambda: page(cursor))  # noqa: B023 — called at once, in this turn
            for message in response.get("messages") or []:
                mark = MessageMark.of(message)
                if mark is not None:
                    yield mark, str(message["ts"])
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return

    def update(
        self, channel: str, ts: str, text: str, blocks: Blocks = None, *, patience_s: float | None = None
    ) -> None:
        """Replace a message in place; with no blocks the old ones are cleared (buttons gone).

        chat.update is Tier 3 — about 50 a minute for the app in the workspace, whichever channel — so every
        edit takes a turn from one workspace-wide lane of the pacer (`UPDATE_LANE`), like posts do per channel."""
        if self._pacer is not None:
            try:
                self._pacer.take_turn(UPDATE_LANE, patience_s=UPDATE_PATIENCE_S if patience_s is None else patience_s,
                                      per_minute=UPDATES_PER_MINUTE, holder=f"{channel}:{ts}")
            except Paced as paced:
                raise SlackPaced("chat.update", retry_after_s=paced.come_back_in_s, turn_in_s=paced.wait_s) from paced
        self._call(
            "chat.update",
            lambda: self._client.chat_update(channel=channel, ts=ts, text=text, blocks=list(blocks or [])),
        )

    def post_ephemeral(self, channel: str, user: str, text: str, blocks: Blocks = None) -> None:
        self._call(
            "chat.postEphemeral",
            lambda: self._client.chat_postEphemeral(
                channel=channel, user=user, text=text, blocks=_blocks(blocks)
            ),
        )

    def publish_home(self, user: str, view: dict[str, Any]) -> str:
        """Show `view` (type home) on `user`'s Home tab of the app; returns the hash Slack gave it.

        https://api.slack.com/methods/views.publish: Tier 4, at most 100 blocks, 250 kB.
        """
        response = self._call("views.publish", lambda: self._client.views_publish(user_id=user, view=view))
        return str(response["view"]["hash"])

    def permalink(self, channel: str, ts: str) -> str:
        response = self._call(
            "chat.getPermalink", lambda: self._client.chat_getPermalink(channel=channel, message_ts=ts)
        )
        return str(response["permalink"])

    def respond(
        self, response_url: str, text: str, blocks: Blocks = None, *, replace_original: bool = False
    ) -> None:
        """A private answer through the command's response_url (valid 30 minutes, five uses)."""
        method = "response_url"
        webhook = WebhookClient(response_url, timeout=self._timeout_s, retry_handlers=_retry_handlers())
        try:
            response = webhook.send(
                text=text,
                blocks=_blocks(blocks),
                response_type="ephemeral",
                replace_original=replace_original,
            )
        except (urllib.error.URLError, OSError, SlackClientError) as error:
            raise SlackUnavailable(method, type(error).__name__) from error
        if response.status_code == 200:
            return
        code = _webhook_code(response.body) or f"HTTP {response.status_code}"
        if response.status_code == 429 or response.status_code >= 500:
            raise SlackUnavailable(method, code, retry_after_s=_retry_after(response.headers))
        raise SlackRefused(method, code)

    def upload_files(self, channel: str, files: Sequence[FileUpload], *, comment: str = "",
                     thread_ts: str | None = None) -> list[str]:
        """Share files in a channel (or thread) with Slack's upload flow, as slack_sdk's files_upload_v2 does:
        files.getUploadURLExternal per file → POST the bytes to the URL it returns →
        files.completeUploadExternal once for all (https://docs.slack.dev/messaging/working-with-files).
        Each step is called here by name, so a failure says which one. Returns the file ids."""
        ids: list[str] = []
        for file in files:
            ticket = self._upload_url(file)
            self._send_bytes(str(ticket["upload_url"]), file)
            ids.append(str(ticket["file_id"]))
        self._call("files.completeUploadExternal", lambda: self._client.files_completeUploadExternal(
            files=[{"id": file_id, "title": file.title} for file_id, file in zip(ids, files, strict=True)],
            channel_id=channel, initial_comment=comment or None, thread_ts=thread_ts,
        ))
        return ids

    def _upload_url(self, file: FileUpload) -> Any:
        return self._call("files.getUploadURLExternal", lambda: self._client.files_getUploadURLExternal(
            filename=file.filename, length=len(file.content)))

    def _send_bytes(self, url: str, file: FileUpload) -> None:
        method = "files.upload_url"
        request = urllib.request.Request(url, data=file.content, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout_s) as response:
                response.read()
        except urllib.error.HTTPError as error:
            if error.code == 429 or error.code >= 500:
                raise SlackUnavailable(method, f"HTTP {error.code}") from error
            raise SlackRefused(method, f"HTTP {error.code}") from error
        except (urllib.error.URLError, OSError) as error:
            raise SlackUnavailable(method, type(error).__name__) from error

    def _pace(self, channel: str, patience_s: float | None, mark: MessageMark | None) -> None:
        """The post's turn; a marked post is its own holder, so a turn beyond patience is kept for it."""
        if self._pacer is None:
            return
        holder = f"{mark.record_id}:{mark.seq}" if mark is not None else None
        try:
            self._pacer.take_turn(channel, patience_s=patience_s, holder=holder)
        except Paced as paced:
            raise SlackPaced("chat.postMessage", retry_after_s=paced.come_back_in_s,
                              turn_in_s=paced.wait_s) from paced

    def _call(self, method: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except SlackApiError as error:
            raise _translate(method, error) from error
        except (urllib.error.URLError, OSError) as error:
            raise SlackUnavailable(method, type(error).__name__) from error
        except SlackClientError as error:
            raise SlackUnavailable(method, str(error)) from error


def _metadata(mark: MessageMark | None) -> dict[str, Any] | None:
    return mark.metadata() if mark else None


def _blocks(blocks: Blocks) -> list[dict[str, Any]] | None:
    return list(blocks) if blocks else None


def _translate(method: str, error: SlackApiError) -> SlackError:
    response = error.response
    status = int(getattr(response, "status_code", 0) or 0)
    data = getattr(response, "data", None)
    code = str(data.get("error")) if isinstance(data, dict) and data.get("error") else f"HTTP {status}"
    if status == 429 or status >= 500 or code in ("ratelimited", "internal_error", "fatal_error"):
        headers = getattr(response, "headers", None) or {}
        return SlackUnavailable(method, code, retry_after_s=_retry_after(headers))
    return SlackRefused(method, code)


def _retry_after(headers: Any) -> float | None:
    for key in ("Retry-After", "retry-after"):
        value = headers.get(key) if headers else None
        if value is not None:
            text = value[0] if isinstance(value, list) else value
            try:
                return float(text)
            except (TypeError, ValueError):
                return None
    return None


def _webhook_code(body: str) -> str:
    try:
        parsed = json.loads(body)
    except ValueError:
        return body.strip()[:100]
    if isinstance(parsed, dict):
        return str(parsed.get("error") or "")
    return ""
