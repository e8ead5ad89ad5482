"""Slack's file upload flow, as slack_sdk's `files_upload_v2` drives it (the one Slack supports since
files.upload was retired):

1. `files.getUploadURLExternal` (`filename`, `length` in bytes) → `{upload_url, file_id}`
   (https://docs.slack.dev/reference/methods/files.getUploadURLExternal);
2. the bytes POSTed to `upload_url` (pre-signed: no token), answered `200 OK - <length>`;
3. `files.completeUploadExternal` (`files` = JSON `[{"id", "title"}]`, optional `channel_id`,
   `initial_comment`, `thread_ts`) → `{files: [...]}`; with a channel the files are shared there as one
   message (https://docs.slack.dev/reference/methods/files.completeUploadExternal).

The upload URL is served by the stand-in itself (`/upload/<file_id>`); tests read what arrived through
`GET /_sandbox/slack/files`.
"""

from __future__ import annotations

import base64
import json
import secrets
import string
import time
from dataclasses import dataclass
from typing import Any

from sandbox.slack_workspace import BOT_ID, BOT_USER_ID, Message, SlackWorkspace

MAX_FILE_BYTES = 1024 * 1024 * 1024  # Slack's limit on one file: 1 GB


class UploadError(Exception):
    """An `ok: false` code for one of the three steps."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Upload:
    file_id: str
    filename: str
    length: int
    created: float
    data: bytes | None = None  # None until the bytes are POSTed to the upload URL
    title: str = ""
    completed: bool = False
    channel: str | None = None
    thread_ts: str | None = None
    initial_comment: str = ""

    def to_api(self) -> dict[str, Any]:
        return {"id": self.file_id, "name": self.filename, "title": self.title or self.filename,
                "size": len(self.data or b""), "user": BOT_USER_ID, "created": int(self.created)}

    def to_record(self) -> dict[str, Any]:
        return {**self.to_api(), "completed": self.completed, "channel": self.channel,
                "thread_ts": self.thread_ts, "initial_comment": self.initial_comment,
                "declared_length": self.length, "content_b64": base64.b64encode(self.data or b"").decode()}


def get_upload_url(ws: SlackWorkspace, params: dict[str, Any], *, base_url: str) -> dict[str, Any]:
    filename = str(params.get("filename") or "")
    if not filename:
        raise UploadError("invalid_arguments")
    length = str(params.get("length") or "")
    if not length.isdigit() or not 0 < int(length) <= MAX_FILE_BYTES:
        raise UploadError("invalid_arguments")
    file_id = "F" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(10))
    ws.uploads[file_id] = Upload(file_id=file_id, filename=filename, length=int(length), created=time.time())
    return {"upload_url": f"{base_url.rstrip('/')}/upload/{file_id}", "file_id": file_id}


def receive_bytes(ws: SlackWorkspace, file_id: str, data: bytes) -> int:
    """Step 2. The length declared in step 1 must be what arrives (Slack rejects a mismatch at completion;
    here it is refused at once, which a test sees the same way: the upload fails)."""
    upload = ws.uploads.get(file_id)
    if upload is None or upload.completed:
        raise UploadError("file_not_found")
    if len(data) != upload.length:
        raise UploadError("length_mismatch")
    upload.data = data
    return len(data)


def complete(ws: SlackWorkspace, params: dict[str, Any]) -> dict[str, Any]:
    raw = params.get("files")
    try:
        entries = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise UploadError("invalid_arguments") from None
    if not isinstance(entries, list) or not entries:
        raise UploadError("invalid_arguments")
    uploads = []
    for entry in entries:
        upload = ws.uploads.get(str((entry or {}).get("id") or ""))
        if upload is None or upload.data is None or upload.completed:
            raise UploadError("file_not_found")
        upload.title = str(entry.get("title") or upload.filename)
        uploads.append(upload)
    channel_id = str(params.get("channel_id") or "") or None
    thread_ts = str(params.get("thread_ts") or "") or None
    comment = str(params.get("initial_comment") or "")
    if channel_id is not None:
        channel = ws.channel(channel_id)
        if channel is None:
            raise UploadError("channel_not_found")
        if BOT_USER_ID not in channel.members:
            raise UploadError("not_in_channel")
        ws.add_message(Message(channel=channel.id, ts=ws.next_ts(), user=BOT_USER_ID, text=comment,
                               thread_ts=thread_ts, bot_id=BOT_ID, files=[u.to_api() for u in uploads]))
    for upload in uploads:
        upload.completed, upload.channel, upload.thread_ts, upload.initial_comment = True, channel_id, thread_ts, comment
    return {"files": [u.to_api() for u in uploads]}
