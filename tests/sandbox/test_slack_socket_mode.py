"""Socket Mode in the Slack stand-in, driven by slack_sdk's own SocketModeClient (what Bolt's handler uses).

The app asks `apps.connections.open` for a URL with its app-level token, connects, is greeted with
`hello`, and from then on receives commands and clicks as envelopes; what it acks is what the person sees.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from sandbox.client import SandboxControlError
from sandbox.runtime import SLACK_APP_TOKEN, SLACK_BOT_TOKEN, Sandbox

NO_ACK = object()
"""An app told to answer this never acks, as a bot stuck before its ack() would."""


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class RecordingApp:
    """A Socket Mode app on slack_sdk's builtin client: keeps what arrives, acks with `ack_payload`."""

    def __init__(self, sandbox: Sandbox, *, auto_reconnect: bool = False) -> None:
        self.messages: list[dict[str, Any]] = []
        self.envelopes: list[SocketModeRequest] = []
        self.ack_payload: Any = None
        self._lock = threading.Lock()
        web_client = WebClient(token=SLACK_BOT_TOKEN, base_url=sandbox.endpoints["slack"] + "/api/")
        self.client = SocketModeClient(app_token=SLACK_APP_TOKEN, web_client=web_client, auto_reconnect_enabled=auto_reconnect)
        self.client.on_message_listeners.append(self._keep)
        self.client.socket_mode_request_listeners.append(self._answer)

    def connect(self) -> RecordingApp:
        self.client.connect()
        wait_for(lambda: any(m.get("type") == "hello" for m in self.messages), "the hello message")
        return self

    def hellos(self) -> int:
        with self._lock:
            return sum(1 for m in self.messages if m.get("type") == "hello")

    def close(self) -> None:
        self.client.close()

    def _keep(self, raw: str) -> None:
        with self._lock:
            self.messages.append(json.loads(raw))

    def _answer(self, client: BaseSocketModeClient, request: SocketModeRequest) -> None:
        with self._lock:
            self.envelopes.append(request)
        if self.ack_payload is NO_ACK:
            return
        client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id, payload=self.ack_payload))


@pytest.fixture
def app(sandbox: Sandbox) -> Iterator[RecordingApp]:
    connected = RecordingApp(sandbox).connect()
    yield connected
    # The server closes first: slack_sdk's own close() otherwise sits out its 3-second socket read.
    assert sandbox.socket_mode is not None
    sandbox.socket_mode.close_connections()
    connected.close()


def bot_client(sandbox: Sandbox, token: str | None = SLACK_BOT_TOKEN) -> WebClient:
    return WebClient(token=token, base_url=sandbox.endpoints["slack"] + "/api/", timeout=10)


def slack_error(call: Callable[[], Any]) -> str:
    with pytest.raises(SlackApiError) as excinfo:
        call()
    return str(excinfo.value.response["error"])


# --- apps.connections.open ---------------------------------------------------------------------------------


def test_the_app_token_opens_a_single_use_websocket_url(sandbox: Sandbox) -> None:
    first = bot_client(sandbox, token=None).apps_connections_open(app_token=SLACK_APP_TOKEN)
    second = bot_client(sandbox, token=None).apps_connections_open(app_token=SLACK_APP_TOKEN)

    assert first["ok"] is True
    assert first["url"].startswith("ws://127.0.0.1:")
    assert "/link/?ticket=" in first["url"]
    assert first["url"] != second["url"]


def test_the_bot_token_cannot_open_a_connection_and_the_app_token_cannot_post(sandbox: Sandbox) -> None:
    opened_with_bot_token = slack_error(lambda: bot_client(sandbox).apps_connections_open(app_token=SLACK_BOT_TOKEN))
    posted_with_app_token = slack_error(
        lambda: bot_client(sandbox, token=SLACK_APP_TOKEN).chat_postMessage(channel="C0PLATFORM", text="hi")
    )
    unknown_token = slack_error(lambda: bot_client(sandbox).apps_connections_open(app_token="xapp-1-nobody"))

    assert opened_with_bot_token == "not_allowed_token_type"
    assert posted_with_app_token == "not_allowed_token_type"
    assert unknown_token == "invalid_auth"
    assert sandbox.control.slack_messages("C0PLATFORM") == []


def test_a_connected_app_is_greeted_with_hello_naming_the_app(app: RecordingApp) -> None:
    hello = app.messages[0]

    assert hello["type"] == "hello"
    assert hello["num_connections"] == 1
    assert hello["connection_info"] == {"app_id": "A0ACKMIGRATE"}
    assert set(hello["debug_info"]) >= {"host", "approximate_connection_time"}


def test_a_second_connection_is_counted_in_its_hello(sandbox: Sandbox, app: RecordingApp) -> None:
    second = RecordingApp(sandbox).connect()
    connections = sandbox.control.request("GET", "/slack/config")["socket_connections"]
    assert sandbox.socket_mode is not None
    sandbox.socket_mode.close_connections()
    second.close()

    assert second.messages[0]["num_connections"] == 2
    assert connections == 2


# --- slash commands ----------------------------------------------------------------------------------------


def test_a_slash_command_arrives_as_an_envelope_with_the_fields_slack_sends(
    sandbox: Sandbox, app: RecordingApp
) -> None:
    answer = sandbox.control.slash("U0ALICE", "C0PLATFORM", "precheck prod-hz-1")

    envelope = app.envelopes[0]
    assert envelope.type == "slash_commands"
    assert envelope.accepts_response_payload is True
    assert envelope.envelope_id == answer["envelope_id"]
    assert envelope.payload["command"] == "/ackmigrate"
    assert envelope.payload["text"] == "precheck prod-hz-1"
    assert envelope.payload["user_id"] == "U0ALICE"
    assert envelope.payload["channel_id"] == "C0PLATFORM"
    assert envelope.payload["response_url"] == answer["response_url"]
    assert envelope.payload["trigger_id"] == answer["trigger_id"]


def test_the_acks_text_is_shown_only_to_the_person_who_typed(sandbox: Sandbox, app: RecordingApp) -> None:
    app.ack_payload = {"text": "Usage: /ackmigrate precheck CLUSTER"}

    answer = sandbox.control.slash("U0ALICE", "C0PLATFORM", "help")

    assert answer["status"] == 200 and answer["transport"] == "socket_mode"
    assert [m["text"] for m in sandbox.control.slack_ephemeral(user="U0ALICE")] == [
        "Usage: /ackmigrate precheck CLUSTER"
    ]
    assert sandbox.control.slack_ephemeral(user="U0BOB") == []
    assert sandbox.control.slack_messages("C0PLATFORM") == []


def test_an_in_channel_ack_is_posted_for_everyone(sandbox: Sandbox, app: RecordingApp) -> None:
    app.ack_payload = {"response_type": "in_channel", "text": "Checking prod-hz-1…"}

    sandbox.control.slash("U0ALICE", "C0PLATFORM", "precheck prod-hz-1")

    assert [m["text"] for m in sandbox.control.slack_messages("C0PLATFORM")] == ["Checking prod-hz-1…"]


def test_an_ack_without_a_payload_shows_nothing(sandbox: Sandbox, app: RecordingApp) -> None:
    answer = sandbox.control.slash("U0ALICE", "C0PLATFORM", "status")

    assert answer["status"] == 200
    assert answer["body"] == ""
    assert sandbox.control.slack_ephemeral(user="U0ALICE") == []


def test_no_ack_within_three_seconds_leaves_the_user_with_operation_timeout(
    sandbox: Sandbox, app: RecordingApp
) -> None:
    app.ack_payload = NO_ACK

    answer = sandbox.control.slash("U0ALICE", "C0PLATFORM", "status")

    assert answer["status"] is None and answer["late"] is True
    assert len(app.envelopes) == 1
    assert [m["text"] for m in sandbox.control.slack_ephemeral(user="U0ALICE")] == [
        '/ackmigrate failed with the error "operation_timeout"'
    ]


def test_socket_mode_without_a_connected_app_leaves_the_user_with_dispatch_failed(sandbox: Sandbox) -> None:
    sandbox.control.request("POST", "/slack/config", {"mode": "socket"})

    answer = sandbox.control.slash("U0ALICE", "C0PLATFORM", "status")

    assert answer["status"] is None
    assert "no Socket Mode connection" in answer["error"]
    assert [m["text"] for m in sandbox.control.slack_ephemeral(user="U0ALICE")] == [
        '/ackmigrate failed with the error "dispatch_failed"'
    ]


def test_without_a_request_url_or_a_connection_nothing_can_be_delivered(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxControlError, match="no Socket Mode connection open"):
        sandbox.control.slash("U0ALICE", "C0PLATFORM", "status")


def test_a_request_url_takes_the_delivery_unless_socket_mode_is_forced(sandbox: Sandbox, app: RecordingApp) -> None:
    sandbox.control.set_request_url("http://127.0.0.1:9/slack/events")  # nothing listens on the discard port

    over_http = sandbox.control.slash("U0ALICE", "C0PLATFORM", "status")
    sandbox.control.request("POST", "/slack/config", {"mode": "socket"})
    over_socket = sandbox.control.slash("U0ALICE", "C0PLATFORM", "status")

    assert "could not reach http://127.0.0.1:9/slack/events" in over_http["error"]
    assert over_socket["status"] == 200 and over_socket["transport"] == "socket_mode"
    assert [e.envelope_id for e in app.envelopes] == [over_socket["envelope_id"]]


def test_an_unknown_mode_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxControlError, match="mode must be one of auto, http, socket"):
        sandbox.control.request("POST", "/slack/config", {"mode": "websocket"})


# --- clicks ------------------------------------------------------------------------------------------------


def test_a_click_arrives_as_an_interactive_envelope_and_is_listed_with_its_ack(
    sandbox: Sandbox, app: RecordingApp
) -> None:
    blocks = [{"type": "actions", "block_id": "decision", "elements": [
        {"type": "button", "action_id": "approve_migration", "value": "req-1",
         "text": {"type": "plain_text", "text": "Approve"}},
    ]}]
    ts = bot_client(sandbox).chat_postMessage(channel="C0PLATFORM", text="Approval", blocks=blocks)["ts"]

    sandbox.control.click("U0BOB", "C0PLATFORM", ts, "approve_migration")

    envelope = app.envelopes[0]
    assert envelope.type == "interactive"
    assert envelope.accepts_response_payload is False
    assert envelope.payload["type"] == "block_actions"
    assert envelope.payload["user"]["id"] == "U0BOB"
    assert [(a["action_id"], a["value"]) for a in envelope.payload["actions"]] == [("approve_migration", "req-1")]
    delivery = sandbox.control.slack_deliveries()[-1]
    assert delivery["kind"] == "block_actions"
    assert delivery["transport"] == "socket_mode" and delivery["status"] == 200


# --- connections --------------------------------------------------------------------------------------------


def test_a_closed_app_no_longer_receives_deliveries(sandbox: Sandbox, app: RecordingApp) -> None:
    app.close()
    wait_for(lambda: sandbox.control.request("GET", "/slack/config")["socket_connections"] == 0, "the close")

    with pytest.raises(SandboxControlError, match="no Socket Mode connection open"):
        sandbox.control.slash("U0ALICE", "C0PLATFORM", "status")
    assert app.envelopes == []


def test_an_app_reconnects_by_itself_when_slack_closes_its_connection(sandbox: Sandbox) -> None:
    app = RecordingApp(sandbox, auto_reconnect=True).connect()
    assert sandbox.socket_mode is not None
    try:
        closed = sandbox.socket_mode.close_connections()
        wait_for(lambda: app.hellos() == 2 and sandbox.socket_mode is not None and sandbox.socket_mode.connected,
                 "the app to reconnect")
        app.ack_payload = {"text": "still here"}
        sandbox.control.slash("U0ALICE", "C0PLATFORM", "status")
    finally:
        sandbox.socket_mode.close_connections()
        app.close()

    assert closed == 1
    assert len(sandbox.control.calls(service="slack", action="apps.connections.open")) == 2
    assert [m["text"] for m in sandbox.control.slack_ephemeral(user="U0ALICE")] == ["still here"]


def test_an_app_asked_to_refresh_moves_to_a_new_connection_and_leaves_the_old_one(sandbox: Sandbox) -> None:
    app = RecordingApp(sandbox).connect()
    hub = sandbox.socket_mode
    assert hub is not None
    try:
        asked = hub.request_refresh()
        wait_for(lambda: app.hellos() == 2 and hub.connections == 1, "the app to move to a new connection")
        app.ack_payload = {"text": "on the new link"}
        sandbox.control.slash("U0ALICE", "C0PLATFORM", "status")
    finally:
        hub.close_connections()
        app.close()

    assert asked == 1
    assert len(sandbox.control.calls(service="slack", action="apps.connections.open")) == 2
    assert [m["text"] for m in sandbox.control.slack_ephemeral(user="U0ALICE")] == ["on the new link"]


def test_opening_the_home_tab_arrives_as_an_events_api_envelope(sandbox: Sandbox, app: RecordingApp) -> None:
    answer = sandbox.control.request("POST", "/slack/app_home_opened", {"user": "U0DAVE"})

    envelope = app.envelopes[0]
    assert answer["status"] == 200 and answer["transport"] == "socket_mode"
    assert envelope.type == "events_api"
    assert envelope.accepts_response_payload is False
    assert envelope.payload["type"] == "event_callback"
    assert envelope.payload["event_id"] == answer["event_id"]
    event = envelope.payload["event"]
    assert (event["type"], event["user"], event["channel"], event["tab"]) == (
        "app_home_opened", "U0DAVE", "D0DAVE", "home")
