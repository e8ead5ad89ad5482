"""The Slack half of the sandbox control client: act as a person in the workspace, read what they see.

`SandboxClient` inherits these methods; they only need its `request()` (HTTP to `/_sandbox/…` on the
ACK endpoint), so the same calls work in tests, in the demo and against `ackmigrate sandbox` running
elsewhere.
"""

from __future__ import annotations

from typing import Any, Protocol


class ControlRequest(Protocol):
    """HTTP to `/_sandbox/…`: JSON body in, decoded JSON out; query arguments left out when None."""

    def __call__(self, method: str, path: str, body: Any = None, **query: Any) -> Any: ...


class SlackControl:
    """`/_sandbox/slack/…`: slash commands, clicks, and the messages, private replies and modals shown.

    A mixin: the class it is mixed into provides `request` (SandboxClient does), so this half never
    carries an HTTP client of its own.
    """

    request: ControlRequest

    def slash(self, user: str, channel: str, text: str, *, command: str = "/ackmigrate") -> dict[str, Any]:
        """`user` types `/ackmigrate text` in `channel`; returns the bot's HTTP answer.

        The result has `status` and `body` of the bot's answer (status None when it could not be
        reached), `late` when it took longer than Slack waits, and the `response_url` / `trigger_id`
        Slack handed out.
        """
        body = {"user": user, "channel": channel, "text": text, "command": command}
        result: dict[str, Any] = self.request("POST", "/slack/commands", body)
        return result

    def click(self, user: str, channel: str, message_ts: str, action_id: str) -> dict[str, Any]:
        """`user` clicks the button `action_id` on message `message_ts` (refused if it is not there)."""
        body = {"user": user, "channel": channel, "message_ts": message_ts, "action_id": action_id}
        result: dict[str, Any] = self.request("POST", "/slack/actions", body)
        return result

    def slack_messages(self, channel: str, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """The channel as people see it (top-level and broadcast messages), or one thread, oldest first."""
        result: dict[str, Any] = self.request("GET", "/slack/messages", channel=channel, thread_ts=thread_ts)
        messages: list[dict[str, Any]] = result["messages"]
        return messages

    def slack_ephemeral(self, channel: str | None = None, user: str | None = None) -> list[dict[str, Any]]:
        """Private messages (postEphemeral, command answers, response_url posts, Slackbot errors)."""
        result: dict[str, Any] = self.request("GET", "/slack/ephemeral", channel=channel, user=user)
        messages: list[dict[str, Any]] = result["messages"]
        return messages

    def set_request_url(self, url: str | None) -> None:
        """Where the sandbox delivers commands and clicks: the bot's `/slack/events`."""
        self.request("POST", "/slack/config", {"request_url": url})

    def set_usergroup(self, group_id: str, users: list[str]) -> None:
        """Change who is in a Slack user group (as an admin would, between two clicks)."""
        self.request("PUT", f"/slack/usergroups/{group_id}", {"users": users})

    def slack_files(self) -> list[dict[str, Any]]:
        """Every file uploaded through files.getUploadURLExternal → upload URL → files.completeUploadExternal,
        with its bytes (`content_b64`) and where it was shared."""
        result: list[dict[str, Any]] = self.request("GET", "/slack/files")["files"]
        return result

    def slack_views(self) -> list[dict[str, Any]]:
        """Modals opened (views.open) and updated, in order."""
        result: dict[str, Any] = self.request("GET", "/slack/views")
        views: list[dict[str, Any]] = result["views"]
        return views

    def view_options(self, user: str, view_id: str, action_id: str, query: str = "") -> dict[str, Any]:
        """`user` opens (or types `query` in) an external_select in a modal: the options the app answered."""
        body = {"user": user, "view_id": view_id, "action_id": action_id, "query": query}
        result: dict[str, Any] = self.request("POST", "/slack/views/options", body)
        return result

    def view_pick(self, user: str, view_id: str, action_id: str, value: str, *, query: str = "") -> dict[str, Any]:
        """`user` types `query` in an external_select and picks the shown option `value`."""
        body = {"user": user, "view_id": view_id, "action_id": action_id, "query": query, "value": value}
        result: dict[str, Any] = self.request("POST", "/slack/views/pick", body)
        return result

    def view_choose(self, user: str, view_id: str, action_id: str, value: str) -> dict[str, Any]:
        """`user` chooses option `value` of a radio group or static select in a modal."""
        body = {"user": user, "view_id": view_id, "action_id": action_id, "value": value}
        result: dict[str, Any] = self.request("POST", "/slack/views/choose", body)
        return result

    def view_type(self, user: str, view_id: str, action_id: str, text: str) -> dict[str, Any]:
        """`user` types `text` in a text input of a modal (cut at its max_length, as Slack's client does)."""
        body = {"user": user, "view_id": view_id, "action_id": action_id, "text": text}
        result: dict[str, Any] = self.request("POST", "/slack/views/type", body)
        return result

    def view_submit(self, user: str, view_id: str) -> dict[str, Any]:
        """`user` presses the modal's submit button: the app's answer, `closed`, and `errors` by block."""
        result: dict[str, Any] = self.request("POST", "/slack/views/submit", {"user": user, "view_id": view_id})
        return result

    def slack_deliveries(self) -> list[dict[str, Any]]:
        """Every command and click delivered to the bot, with what it answered."""
        result: dict[str, Any] = self.request("GET", "/slack/deliveries")
        deliveries: list[dict[str, Any]] = result["deliveries"]
        return deliveries
