"""The Slack stand-in's upload flow, driven by slack_sdk's own files_upload_v2 and by each step alone."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

CHANNEL = "C0PLATFORM"


def _client(sandbox: Any) -> WebClient:
    env = sandbox.env()
    return WebClient(token=env["SLACK_BOT_TOKEN"], base_url=env["SLACK_API_URL"])


def test_files_upload_v2_shares_the_bytes_in_the_thread(sandbox: Any) -> None:
    client = _client(sandbox)
    parent = client.chat_postMessage(channel=CHANNEL, text="report")["ts"]
    client.files_upload_v2(channel=CHANNEL, thread_ts=parent, initial_comment="the table",
                           file_uploads=[{"content": b"a,b\n1,2\n", "filename": "t.csv", "title": "Table"}])
    (shared,) = sandbox.control.slack_files()
    assert (shared["name"], shared["title"], shared["completed"], shared["thread_ts"]) == ("t.csv", "Table", True, parent)
    replies = sandbox.control.slack_messages(CHANNEL, thread_ts=parent)
    assert [m["files"][0]["name"] for m in replies if m.get("files")] == ["t.csv"]
    assert [c["action"] for c in sandbox.control.calls(service="slack")][-3:] == [
        "files.getUploadURLExternal", "upload", "files.completeUploadExternal"]


def test_completing_a_file_whose_bytes_never_arrived_is_refused(sandbox: Any) -> None:
    client = _client(sandbox)
    ticket = client.files_getUploadURLExternal(filename="x.png", length=10)
    with pytest.raises(SlackApiError) as refused:
        client.files_completeUploadExternal(files=[{"id": ticket["file_id"], "title": "x"}], channel_id=CHANNEL)
    assert refused.value.response["error"] == "file_not_found"


def test_bytes_that_do_not_match_the_declared_length_are_refused(sandbox: Any) -> None:
    ticket = _client(sandbox).files_getUploadURLExternal(filename="x.png", length=10)
    request = urllib.request.Request(ticket["upload_url"], data=b"short", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 400
