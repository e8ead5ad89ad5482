"""A person in a modal, as the stand-in plays it: pickers fed by block_suggestion, the client's own checks,
and what a view_submission's answer does to the modal. "The app" is a recording HTTP server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
from slack_sdk.signature import SignatureVerifier

from sandbox.client import SandboxControlError
from tests.sandbox.slack_fixtures import SIGNING_SECRET, BotAnswer, RecordingBot, SlackStandIn

MODAL: dict[str, Any] = {
    "type": "modal", "callback_id": "form", "title": {"type": "plain_text", "text": "Form"},
    "submit": {"type": "plain_text", "text": "Run"},
    "blocks": [
        {"type": "input", "block_id": "cluster", "label": {"type": "plain_text", "text": "Cluster"},
         "element": {"type": "external_select", "action_id": "cluster_select", "min_query_length": 0}},
        {"type": "input", "block_id": "what", "label": {"type": "plain_text", "text": "What"},
         "element": {"type": "radio_buttons", "action_id": "what_choice", "options": [
             {"text": {"type": "plain_text", "text": "Precheck"}, "value": "precheck"},
             {"text": {"type": "plain_text", "text": "Migrate"}, "value": "migrate"}]}},
        {"type": "input", "block_id": "note", "optional": True, "label": {"type": "plain_text", "text": "Note"},
         "element": {"type": "plain_text_input", "action_id": "note_input", "max_length": 10}},
    ],
}
OPTIONS = {"options": [{"text": {"type": "plain_text", "text": "prod-hz-1"}, "value": "c1"},
                       {"text": {"type": "plain_text", "text": "prod-hz-2"}, "value": "c2"}]}


@pytest.fixture(scope="module")
def app_server() -> Iterator[RecordingBot]:
    app = RecordingBot().start()
    yield app
    app.stop()


@pytest.fixture
def app(app_server: RecordingBot) -> RecordingBot:
    app_server.deliveries.clear()
    app_server.answer = BotAnswer(body=json.dumps(OPTIONS), content_type="application/json")
    return app_server


@pytest.fixture
def modal(slack_server: SlackStandIn, app: RecordingBot) -> str:
    """Alice ran a command and the app opened MODAL with its trigger; the view id."""
    slack_server.reset()
    slack_server.control.set_request_url(app.url)
    trigger_id = slack_server.control.slash("U0ALICE", "C0PLATFORM", "")["trigger_id"]
    return str(slack_server.web_client().views_open(trigger_id=trigger_id, view=MODAL)["view"]["id"])


def _payload(app: RecordingBot) -> dict[str, Any]:
    delivery = app.deliveries[-1]
    assert SignatureVerifier(SIGNING_SECRET).is_valid(
        body=delivery.body, timestamp=delivery.headers["x-slack-request-timestamp"],
        signature=delivery.headers["x-slack-signature"])
    payload: dict[str, Any] = json.loads(dict(parse_qsl(delivery.body))["payload"])
    return payload


def test_opening_a_picker_sends_a_signed_block_suggestion_and_shows_the_answer(
    slack_server: SlackStandIn, app: RecordingBot, modal: str
) -> None:
    shown = slack_server.control.view_options("U0ALICE", modal, "cluster_select", "prod")

    assert [o["value"] for o in shown["options"]] == ["c1", "c2"]
    payload = _payload(app)
    assert (payload["type"], payload["action_id"], payload["block_id"], payload["value"]) == (
        "block_suggestion", "cluster_select", "cluster", "prod")
    assert payload["container"] == {"type": "view", "view_id": modal} and payload["user"]["id"] == "U0ALICE"


def test_only_an_option_the_app_offered_can_be_picked(slack_server: SlackStandIn, app: RecordingBot,
                                                       modal: str) -> None:
    with pytest.raises(SandboxControlError, match="no option 'c9' among those shown"):
        slack_server.control.view_pick("U0ALICE", modal, "cluster_select", "c9")
    assert slack_server.control.view_pick("U0ALICE", modal, "cluster_select", "c2")["selected_option"]["value"] == "c2"


def test_the_client_will_not_submit_with_a_required_field_empty(slack_server: SlackStandIn, app: RecordingBot,
                                                                 modal: str) -> None:
    slack_server.control.view_pick("U0ALICE", modal, "cluster_select", "c1")
    app.deliveries.clear()
    with pytest.raises(SandboxControlError, match="required field"):
        slack_server.control.view_submit("U0ALICE", modal)
    assert app.deliveries == [], "nothing reached the app"


def test_a_submission_carries_the_whole_state_and_errors_keep_the_modal_open(
    slack_server: SlackStandIn, app: RecordingBot, modal: str
) -> None:
    slack_server.control.view_pick("U0ALICE", modal, "cluster_select", "c1")
    slack_server.control.view_choose("U0ALICE", modal, "what_choice", "migrate")
    assert slack_server.control.view_type("U0ALICE", modal, "note_input", "x" * 40)["value"] == "x" * 10
    app.answer = BotAnswer(body=json.dumps({"response_action": "errors", "errors": {"what": "Not now."}}),
                           content_type="application/json")

    refused = slack_server.control.view_submit("U0ALICE", modal)

    assert (refused["closed"], refused["errors"]) == (False, {"what": "Not now."})
    values = _payload(app)["view"]["state"]["values"]
    assert values["cluster"]["cluster_select"]["selected_option"]["value"] == "c1"
    assert values["what"]["what_choice"]["selected_option"]["value"] == "migrate"
    assert values["note"]["note_input"] == {"type": "plain_text_input", "value": "x" * 10}
    app.answer = BotAnswer(body="")
    assert slack_server.control.view_submit("U0ALICE", modal)["closed"] is True
    with pytest.raises(SandboxControlError, match="is closed"):
        slack_server.control.view_submit("U0ALICE", modal)


def test_errors_on_a_block_the_modal_does_not_have_are_refused_as_slack_refuses_them(
    slack_server: SlackStandIn, app: RecordingBot, modal: str
) -> None:
    slack_server.control.view_pick("U0ALICE", modal, "cluster_select", "c1")
    slack_server.control.view_choose("U0ALICE", modal, "what_choice", "precheck")
    app.answer = BotAnswer(body=json.dumps({"response_action": "errors", "errors": {"bucket": "?"}}),
                           content_type="application/json")

    with pytest.raises(SandboxControlError, match="unknown block"):
        slack_server.control.view_submit("U0ALICE", modal)
