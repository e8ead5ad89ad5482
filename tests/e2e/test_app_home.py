"""The App Home tab through every real piece: the sandbox's Slack delivers `app_home_opened` to
`ackmigrate serve` as Slack's Events API does, a worker gathers the fleet from Redis and publishes the tab
with views.publish, and a migration that ends later refreshes the tab of whoever opened it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.processes import ALICE, BOB, DAVE, Stack, running_stack, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack() as running:
        yield running


def home(stack: Stack, user: str) -> dict[str, Any]:
    answer: dict[str, Any] = stack.control.request("GET", "/slack/home", user=user)
    return answer


def home_text(stack: Stack, user: str) -> str:
    """What the tab says, block by block (section texts and context elements), top to bottom."""
    view = home(stack, user)["view"] or {"blocks": []}
    texts = []
    for block in view["blocks"]:
        texts.append(str(block.get("text", {}).get("text", "")))
        texts.extend(str(e.get("text", "")) for e in block.get("elements", []))
    return "\n".join(texts)


def migrated(stack: Stack, name: str) -> None:
    """Alice asks, Bob approves, and the migration ends with its thread delivered."""
    _, record_id, ts = stack.requested(name)
    stack.click(BOB, ts, "approve_migration")
    wait_for(lambda: stack.settled(record_id), what=f"{name} migrated and shown")


def test_opening_the_home_tab_publishes_the_fleet_and_a_later_migration_refreshes_it(stack: Stack) -> None:
    migrated(stack, "stg-hz-1")

    opened = stack.control.request("POST", "/slack/app_home_opened", {"user": ALICE})
    wait_for(lambda: home(stack, ALICE)["publishes"] >= 1, what="Alice's Home tab published")

    assert opened["status"] == 200 and not opened["late"]
    first = home(stack, ALICE)
    assert first["view"]["type"] == "home" and len(first["view"]["blocks"]) <= 100
    shown = home_text(stack, ALICE)
    assert "*1 of 1 dedicated cluster migrated to ACK Pro (100 %)*" in shown
    assert "*default · cn-hangzhou*" in shown and "1/1 migrated" in shown
    assert "`/ackmigrate plan`" in shown
    assert home(stack, BOB)["publishes"] == 0, "only the person who opened it"

    migrated(stack, "stg-hz-2")

    wait_for(lambda: "*2 of 2 dedicated clusters migrated" in home_text(stack, ALICE),
             what="Alice's tab refreshed after the second migration", timeout_s=60)


def test_the_messages_tab_publishes_nothing(stack: Stack) -> None:
    answer = stack.control.request("POST", "/slack/app_home_opened", {"user": DAVE, "tab": "messages"})

    assert answer["status"] == 200
    assert home(stack, DAVE)["publishes"] == 0
