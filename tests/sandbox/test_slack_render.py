"""A stored Slack message as the terminal text the offline demo prints: what a person would read."""

from __future__ import annotations

from typing import Any

from sandbox.slack_render import render_message_text

REQUEST_MESSAGE: dict[str, Any] = {
    "text": "Migration request for prod-hz-1",
    "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Migrate prod-hz-1 to ACK Pro"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "<@U0ALICE> asks <!subteam^S0PLATFORM> to approve."},
            "fields": [
                {"type": "mrkdwn", "text": "*Cluster*\nprod-hz-1"},
                {"type": "mrkdwn", "text": "*Bucket*\nack-migrate-hz"},
            ],
        },
        {"type": "divider"},
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": "Request req-1"},
                {"type": "image", "image_url": "https://example.com/clock.png", "alt_text": "clock"},
                {"type": "plain_text", "text": "expires in 1 hour"},
            ],
        },
        {
            "type": "actions",
            "elements": [
                {"type": "button", "action_id": "approve_migration", "value": "req-1",
                 "text": {"type": "plain_text", "text": "Approve"}},
                {"type": "button", "action_id": "reject_migration", "value": "req-1",
                 "text": {"type": "plain_text", "text": "Reject"}},
            ],
        },
    ],
}


def test_an_approval_request_renders_as_the_lines_a_person_reads() -> None:
    lines = render_message_text(REQUEST_MESSAGE).splitlines()

    assert lines[0] == "Migrate prod-hz-1 to ACK Pro"
    assert set(lines[1]) == {"═"}
    assert lines[2] == "@alice asks @platform-leads to approve."
    assert lines[3:5] == ["  *Cluster* prod-hz-1", "  *Bucket* ack-migrate-hz"]
    assert set(lines[5]) == {"─"}
    assert lines[6] == "  Request req-1 · [clock] · expires in 1 hour"
    assert lines[7] == "[ Approve ]  [ Reject ]"
    assert len(lines) == 8


def test_blocks_win_over_the_fallback_text() -> None:
    assert "Migration request for prod-hz-1" not in render_message_text(REQUEST_MESSAGE)


def test_a_message_without_blocks_renders_its_text_with_mentions_and_links_readable() -> None:
    message = {"text": "<@U0BOB> approved in <#C0PLATFORM>; see <https://example.com/runbook|the runbook> &amp; <!here>"}

    assert render_message_text(message) == (
        "@bob approved in #platform-ops; see the runbook (https://example.com/runbook) & @here"
    )


def test_a_section_accessory_button_and_a_link_button_are_shown() -> None:
    message = {"blocks": [{
        "type": "section", "text": {"type": "mrkdwn", "text": "Migration finished."},
        "accessory": {"type": "button", "action_id": "logs", "url": "https://example.com/logs",
                      "text": {"type": "plain_text", "text": "Open logs"}},
    }]}

    assert render_message_text(message) == "Migration finished.\n  [ Open logs ] ↗"


def test_labelled_and_unknown_mentions_fall_back_to_what_slack_would_show() -> None:
    message = {"text": "<@U0ZED|zed> and <@U0UNKNOWN> and <#C0NEW|new-channel>"}

    assert render_message_text(message) == "@zed and @U0UNKNOWN and #new-channel"


def test_names_can_be_supplied_for_another_workspace() -> None:
    assert render_message_text({"text": "<@U123> approved"}, names={"U123": "@erin"}) == "@erin approved"


def test_rich_text_and_unknown_blocks_still_render_something_readable() -> None:
    message = {"blocks": [
        {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
            {"type": "text", "text": "ping "}, {"type": "user", "user_id": "U0CAROL"},
            {"type": "text", "text": " "}, {"type": "emoji", "name": "rocket"},
        ]}]},
        {"type": "video", "title": {"type": "plain_text", "text": "demo"}},
    ]}

    assert render_message_text(message) == "ping @carol :rocket:\n[video block]"
