"""The modal's pickers as the bot answers them: from Redis only, one refresh queued when a list is missing
or stale, however many people are typing."""

from __future__ import annotations

import time
from typing import Any

from tests.bot.harness import RunningBot
from workers.picker_cache import FRESH_FOR_S, PickerCache, PickerItem

ALICE, CHANNEL = "U0ALICE", "C0PLATFORM"


def _open(bot: RunningBot) -> str:
    answer = bot.control.slash(ALICE, CHANNEL, "")
    assert answer["status"] == 200
    (view,) = [v for v in bot.control.slack_views() if v["view"]["callback_id"] == "ackmigrate_form"]
    return str(view["id"])


def _labels(answer: dict[str, Any]) -> list[str]:
    return [str(o["text"]["text"]) for o in answer["options"]]


def test_an_empty_picker_says_loading_and_one_refresh_is_queued(bot: RunningBot) -> None:
    view_id = _open(bot)

    clusters = bot.control.view_options(ALICE, view_id, "cluster_select", "")
    buckets = bot.control.view_options(ALICE, view_id, "bucket_select", "ack")

    assert _labels(clusters) == ["Loading the dedicated clusters in cn-hangzhou… open this again in a moment"]
    assert _labels(buckets) == ["Loading the buckets in cn-hangzhou… open this again in a moment"]
    assert bot.job_names() == ["workers.jobs.refresh_pickers"]
    assert bot.control.calls(service="ack") == [] and bot.control.calls(service="oss") == [], "no cloud call"


def test_a_fresh_list_is_answered_filtered_and_nothing_is_queued(bot: RunningBot) -> None:
    cache = PickerCache(bot.redis)
    items = [PickerItem("c" + "1" * 32, "prod-hz-1 (1.22, running)", "prod-hz-1 c" + "1" * 32),
             PickerItem("c" + "2" * 32, "staging-hz-1 (1.22, running)", "staging-hz-1 c" + "2" * 32)]
    cache.write("clusters", "cn-hangzhou", items, fetched_at=time.time())
    view_id = _open(bot)

    answer = bot.control.view_options(ALICE, view_id, "cluster_select", "STAGING")

    assert [o["value"] for o in answer["options"]] == ["c" + "2" * 32]
    assert bot.job_names() == []


def test_a_stale_list_is_still_answered_and_refreshed_once(bot: RunningBot) -> None:
    cache = PickerCache(bot.redis)
    cache.write("clusters", "cn-hangzhou", [PickerItem("c" + "1" * 32, "prod-hz-1", "prod-hz-1")],
                fetched_at=time.time() - FRESH_FOR_S - 1)
    view_id = _open(bot)

    answers = [bot.control.view_options(ALICE, view_id, "cluster_select", "prod") for _ in range(3)]

    assert all(_labels(a) == ["prod-hz-1"] for a in answers)
    assert bot.job_names() == ["workers.jobs.refresh_pickers"]
