"""The wave's words and blocks: what the channel reads at each state, within Slack's limits at 200 clusters."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from workers.domain.freeze import Freeze
from workers.domain.records import Approval
from workers.domain.wave_events import (
    ClusterFailed,
    ClusterSkipped,
    ClusterStarted,
    ClusterSucceeded,
    WaveCancelled,
    WaveDone,
    WavePaused,
    WaveRejected,
)
from workers.domain.waves import (
    Blocker,
    Candidate,
    ClusterState,
    PauseCause,
    PauseReason,
    Wave,
    WaveState,
    compose_clusters,
    end_cluster,
    start_cluster,
)
from workers.ui import ids, wave_message
from workers.ui.kit import MAX_BLOCKS, SECTION_LIMIT

NOW = datetime(2026, 12, 5, 1, 0, tzinfo=UTC).timestamp()  # a Saturday, 09:00 in Shanghai
LABEL = "<!subteam^SLEADS>"


def candidates(count: int, *, blocked: int = 0) -> list[Candidate]:
    made = []
    for i in range(count):
        name = f"dev-web-{i:03d}" if i % 4 == 0 else f"prod-api-{i:03d}"
        blocker = Blocker("api_server_slb", f"SLB lb-{i} is slb.s1.small") if i < blocked else None
        made.append(Candidate(cluster_id=f"c{i:032x}", name=name, account="main" if i % 2 else "team-b",
                              region="cn-hangzhou" if i % 3 else "cn-shanghai", warnings=i % 3, nodes=3 + i % 7,
                              blocker=blocker))
    return made


def requested(count: int = 6, *, blocked: int = 0, **fields: Any) -> Wave:
    clusters = compose_clusters(candidates(count, blocked=blocked), nonprod_patterns=("*dev*",))
    settings: dict[str, Any] = {"max_parallel": 2, "canary": 1, "soak_s": 1800.0, "failure_budget": 0,
                                "windows": ("Sat 02:00-06:00 UTC",), **fields}
    return Wave(name="hz-batch-1", requester="U0ALICE", channel="C0OPS", clusters=clusters,
                bucket_map={"cn-hangzhou": "ack-hz", "cn-shanghai": "ack-sh"}, approvals_required=2,
                state=WaveState.AWAITING_APPROVAL, created_at=NOW, expires_at=NOW + 3600, **settings)


def approved(wave: Wave) -> Wave:
    return replace(wave, state=WaveState.APPROVED, approvals=(Approval("U0BOB", NOW), Approval("U0CAROL", NOW)),
                   decided_by="U0CAROL", decided_at=NOW)


def run(wave: Wave, *, succeed: int = 0, fail: int = 0, start: int = 0) -> Wave:
    """Start and end clusters in order, as the engine would (ignoring slots: the renderer does not check)."""
    wave = replace(wave, max_parallel=len(wave.clusters))
    order = [c.cluster_id for c in wave.pending]
    for cluster_id in order[: succeed + fail + start]:
        wave = start_cluster(wave, cluster_id, at=NOW)
    for cluster_id in order[:succeed]:
        wave = end_cluster(wave, cluster_id, ClusterState.SUCCEEDED, at=NOW + 840)
    for cluster_id in order[succeed: succeed + fail]:
        wave = end_cluster(wave, cluster_id, ClusterState.FAILED, at=NOW + 600, error="ErrorCode: Task timeout")
    return wave


def shown(message: wave_message.Message) -> str:
    """Everything a reader sees in the blocks, as one text."""
    return json.dumps(message.blocks, ensure_ascii=False)


def section_texts(message: wave_message.Message) -> list[str]:
    return [b["text"]["text"] for b in message.blocks if b["type"] == "section"]


def render(wave: Wave, **kwargs: Any) -> wave_message.Message:
    return wave_message.wave_message(wave, now=NOW, approvers_label=LABEL, expected_migration_s=1800, **kwargs)


# -- the request --------------------------------------------------------------------------------------------

def test_the_request_lists_the_clusters_in_order_with_why_and_the_canary() -> None:
    wave = requested(6)
    text = shown(render(wave))

    first = wave.clusters[0]
    assert first.name.startswith("dev-"), "non-production first"
    assert f"1. `{first.qualified}`" in text and "🐤 canary" in text
    assert "non-production (matches `*dev*`)" in text and "ahead of production" in text
    assert text.index(wave.clusters[0].qualified) < text.index(wave.clusters[5].qualified)


def test_the_request_shows_the_schedule_and_when_it_would_run() -> None:
    text = shown(render(requested(6)))

    assert "`Sat 02:00-06:00 UTC`" in text
    assert "1 canary first, then a soak of 30 min" in text
    assert "at most 2 at a time" in text and "failure budget 0 (the first failure pauses the wave)" in text
    assert "the first start at" in text and "all done by" in text


def test_the_request_has_the_wave_buttons_and_says_how_many_approvers() -> None:
    message = render(requested(6))
    (actions,) = [b for b in message.blocks if b["type"] == "actions"]

    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [
        (ids.APPROVE_WAVE, "hz-batch-1"), (ids.REJECT_WAVE, "hz-batch-1")]
    assert ids.APPROVE_WAVE == "approve_wave" and ids.REJECT_WAVE == "reject_wave"
    assert "confirm" in actions["elements"][0], "approving many migrations asks for confirmation"
    assert f"Approvers: {LABEL} · needs 2 of them" in shown(message)
    assert "<@U0ALICE> cannot approve their own wave" in shown(message)


def test_one_approval_of_two_is_shown_on_the_request() -> None:
    wave = replace(requested(6), approvals=(Approval("U0BOB", NOW),))

    assert "approved so far (1 of 2): <@U0BOB>" in shown(render(wave))


def test_blocked_clusters_are_left_out_with_their_blocker() -> None:
    wave = requested(6, blocked=2)
    text = shown(render(wave))

    assert "4 clusters to migrate · 2 blocked, left out" in text
    assert "*Left out — blocked* (2)" in text
    assert "⛔ `team-b/dev-web-000` — `api_server_slb`: SLB lb-0 is slb.s1.small" in text


def test_a_request_with_every_cluster_blocked_has_nothing_to_approve() -> None:
    message = render(requested(3, blocked=3))

    assert not [b for b in message.blocks if b["type"] == "actions"]
    assert "Every cluster is blocked: nothing to approve" in shown(message)


def test_a_region_without_a_bucket_is_named() -> None:
    wave = replace(requested(6), bucket_map={"cn-hangzhou": "ack-hz"})

    assert "No bucket in `--bucket-map` for cn-shanghai" in shown(render(wave))


@pytest.mark.parametrize(("state", "title"), [(WaveState.REJECTED, "Wave rejected"),
                                              (WaveState.EXPIRED, "Wave request expired")])
def test_a_decided_request_loses_its_buttons_and_says_why(state: WaveState, title: str) -> None:
    wave = replace(requested(6), state=state, decided_by="U0BOB" if state is WaveState.REJECTED else None)
    message = render(wave)

    assert not [b for b in message.blocks if b["type"] == "actions"]
    assert message.blocks[0]["text"]["text"].startswith(f"❌  {title}" if state is WaveState.REJECTED
                                                         else f"⌛  {title}")
    assert ("Rejected by <@U0BOB>." if state is WaveState.REJECTED
            else "Nobody approved or rejected it in time.") in shown(message)


def test_a_rejected_request_shows_the_reason_typed_escaped_and_never_an_earlier_releases_sentence() -> None:
    rejected = replace(requested(6), state=WaveState.REJECTED, decided_by="U0BOB",
                       rejection_reason="not during <!channel> the sale")
    legacy = replace(requested(6), state=WaveState.REJECTED, decided_by="U0BOB", reason="Rejected by U0BOB.")

    assert "Rejected by <@U0BOB>: not during &lt;!channel&gt; the sale" in shown(render(rejected))
    assert '"Rejected by <@U0BOB>."' in shown(render(legacy))  # the whole line: no reason after it
    assert "Rejected by U0BOB." not in shown(render(legacy))


def test_a_wave_of_200_clusters_fits_slacks_limits_and_counts_what_it_does_not_list() -> None:
    wave = requested(200, blocked=40)
    message = render(wave)

    assert len(message.blocks) <= MAX_BLOCKS
    assert all(len(text) <= SECTION_LIMIT for text in section_texts(message))
    text = shown(message)
    assert f"… and {160 - wave_message.ORDER_LINES} more, in the same order" in text
    assert f"… and {40 - wave_message.BLOCKED_LINES} more blocked: 25 by `api_server_slb`" in text
    assert len(json.dumps(message.blocks)) < 16_000, "well under chat.postMessage's payload in practice"


# -- the progress -------------------------------------------------------------------------------------------

def test_the_progress_bar_fills_with_the_ended_clusters() -> None:
    assert wave_message.progress_bar(0, 200) == "░" * 20
    assert wave_message.progress_bar(50, 200) == "▓" * 5 + "░" * 15
    assert wave_message.progress_bar(199, 200) == "▓" * 19 + "░", "full only when all have ended"
    assert wave_message.progress_bar(200, 200) == "▓" * 20
    assert wave_message.progress_bar(0, 0) == "░" * 20


def test_a_running_wave_shows_its_bar_counts_and_current_clusters() -> None:
    wave = run(approved(requested(200)), succeed=30, fail=0, start=10)
    message = wave_message.wave_message(wave, now=NOW + 900, approvers_label=LABEL, expected_migration_s=1800)
    text = shown(message)

    assert message.blocks[0]["text"]["text"] == "🌊  Wave running — hz-batch-1: 30/200 ended"
    assert "`▓▓▓░░░░░░░░░░░░░░░░░` 30/200 (15%)" in text
    assert "✅ 30 succeeded · 🚚 10 running · ⏳ 160 pending" in text
    assert "*Now migrating* (10 of at most 200)" in text
    assert "approved by <@U0BOB>, <@U0CAROL>" in text
    assert len(message.blocks) <= MAX_BLOCKS


def test_the_next_window_is_shown_when_the_window_is_closed() -> None:
    wave = replace(approved(requested(6)), windows=("Sat 02:00-06:00 UTC",))
    later = datetime(2026, 12, 5, 7, 0, tzinfo=UTC).timestamp()  # Saturday 07:00 UTC: closed
    text = shown(wave_message.wave_message(wave, now=later, approvers_label=LABEL, expected_migration_s=1800))

    assert "🕑 Outside the windows; the next opens" in text
    assert "<!date^" + str(int(datetime(2026, 12, 12, 2, 0, tzinfo=UTC).timestamp())) in text


def test_a_wave_paused_by_its_budget_says_why_and_how_to_resume() -> None:
    wave = run(approved(requested(6)), succeed=1, fail=1)
    wave = replace(wave, state=WaveState.PAUSED, pause=PauseReason(
        cause=PauseCause.FAILURE_BUDGET, failures=1, budget=0, failed=("prod-api-001",)))
    text = shown(render(wave))

    assert "⏸️  Wave paused" in text
    assert "Paused itself: 1 failure (`prod-api-001`) where the budget allows no failure." in text
    assert "`/ackmigrate wave resume hz-batch-1`" in text
    assert "*Failed* (1)" in text and "ErrorCode: Task timeout" in text


def test_a_wave_paused_by_an_operator_names_them() -> None:
    wave = replace(approved(requested(6)), state=WaveState.PAUSED,
                   pause=PauseReason(cause=PauseCause.OPERATOR, by="U0DAVE"))

    assert "Paused by <@U0DAVE>." in shown(render(wave))


def test_a_done_wave_sums_up() -> None:
    wave = replace(run(approved(requested(6, blocked=1)), succeed=4, fail=1), state=WaveState.DONE)
    text = shown(render(wave))

    assert "🏁  Wave done — hz-batch-1: 6/6 ended" in text
    assert "🏁 Done in 14 min: 4 on ACK Pro, 1 failed, 1 skipped." in text


def test_a_cancelled_wave_says_the_running_ones_are_followed() -> None:
    wave = replace(run(approved(requested(6)), start=2), state=WaveState.CANCELLED, decided_by="U0DAVE")
    text = shown(render(wave))

    assert "🚫  Wave cancelled" in text
    assert "Cancelled by <@U0DAVE>. Nothing more starts; the running ones are followed to their end." in text


def test_a_freeze_is_shown_on_a_running_wave() -> None:
    freeze = Freeze(by="U0EVE", reason="incident 4711", at=datetime.fromtimestamp(NOW - 60, UTC))
    text = shown(render(approved(requested(6)), freeze=freeze))

    assert "🧊 *Frozen* by <@U0EVE>" in text and "incident 4711" in text
    assert "🧊 Starts are frozen." in text


# -- thread lines -------------------------------------------------------------------------------------------

def test_cluster_lines_link_to_the_clusters_own_thread() -> None:
    wave = run(approved(requested(6)), succeed=1)
    first = wave.clusters[0]
    link = "https://slack.com/archives/C0OPS/p1700000000000100"

    started = wave_message.thread_line(wave, first.cluster_id, ClusterStarted(canary=True), thread_link=link)
    assert started == f"🚚 Started `{first.qualified}` (1/6) — canary 🐤 · <{link}|its thread>"
    assert wave_message.thread_line(wave, first.cluster_id, ClusterSucceeded()) == (
        f"✅ `{first.qualified}` is on ACK Pro — 14 min")
    failed = wave_message.thread_line(wave, first.cluster_id, ClusterFailed("Task timeout <boom>"))
    assert failed.startswith(f"❌ `{first.qualified}` failed — 14 min: Task timeout &lt;boom&gt;")
    skipped = wave_message.thread_line(wave, first.cluster_id, ClusterSkipped(Blocker("k8s_version", "1.14")))
    assert skipped == f"⏭️ `{first.qualified}` skipped: `k8s_version` blocks it — 1.14"


def test_wave_lines_and_which_are_shown_in_the_channel() -> None:
    wave = approved(requested(6))
    paused = WavePaused(PauseReason(cause=PauseCause.FAILURE_BUDGET, failures=2, budget=1, failed=("a", "b")),
                        version=7)

    assert wave_message.thread_line(wave, None, paused) == (
        "⏸️ Paused itself: 2 failures (`a`, `b`) where the budget allows at most 1 failure. "
        "Resume with `/ackmigrate wave resume hz-batch-1`.")
    assert wave_message.line_is_broadcast(paused)
    assert wave_message.line_is_broadcast(WaveDone(succeeded=5, failed=0, skipped=1, version=9))
    assert not wave_message.line_is_broadcast(WaveCancelled(by="U0DAVE", version=8))
    rejected = WaveRejected(by="U0CAROL", reason="not during <!here> the sale", version=3)
    assert wave_message.thread_line(wave, None, rejected) == (
        "❌ <@U0CAROL> rejected the wave; nothing of it will start: not during &lt;!here&gt; the sale")
    assert wave_message.thread_line(wave, None, replace(rejected, reason=None)) == (
        "❌ <@U0CAROL> rejected the wave; nothing of it will start.")
    assert not wave_message.line_is_broadcast(rejected)
    assert not wave_message.line_is_broadcast(ClusterStarted())


# -- private answers and freezes ----------------------------------------------------------------------------

def test_wave_status_lists_each_state_within_limits_at_200_clusters() -> None:
    wave = run(approved(requested(200, blocked=20)), succeed=100, fail=3, start=10)
    message = wave_message.wave_status(wave, now=NOW, expected_migration_s=1800)
    text = shown(message)

    assert len(message.blocks) <= MAX_BLOCKS
    assert all(len(t) <= SECTION_LIMIT for t in section_texts(message))
    assert "🚚 *Running* (10)" in text and "❌ *Failed* (3)" in text and "⏭️ *Skipped* (20)" in text
    assert f"… and {100 - wave_message.STATUS_LINES} more" in text


def test_refusals_say_why_and_what_would_work() -> None:
    wave = approved(requested(6))

    assert wave_message.cannot_change(replace(wave, state=WaveState.DONE), "resumed") == (
        "Wave `hz-batch-1` is done, so it cannot be resumed. It has ended; nothing more can be done to it.")
    assert "It can be resumed (`/ackmigrate wave resume hz-batch-1`)" in wave_message.cannot_change(
        replace(wave, state=WaveState.PAUSED), "paused")
    assert wave_message.no_such_wave("nope") == (
        "There is no wave named `nope`. `/ackmigrate wave status` lists them.")
    assert "two-person rule" in wave_message.own_wave("hz-batch-1")


def test_freeze_and_unfreeze_announcements() -> None:
    at = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    freeze = Freeze(by="U0EVE", reason="incident <4711>", at=at, until=at + timedelta(hours=2))

    said = shown(wave_message.freeze_announcement(freeze, by="U0EVE"))
    assert "🧊 <@U0EVE> froze all starts until" in said and "03:00 UTC" in said
    assert "incident &lt;4711&gt;" in said
    assert "those already running continue" in said
    lifted = shown(wave_message.unfreeze_announcement(freeze, by="U0BOB"))
    assert "🌤️ <@U0BOB> lifted the freeze <@U0EVE> set at" in lifted
    assert "may start again" in lifted
    open_ended = shown(wave_message.freeze_announcement(replace(freeze, until=None), by="U0EVE"))
    assert "until an approver runs `/ackmigrate unfreeze`" in open_ended


def test_the_window_is_shown_open_until_or_when_the_next_opens() -> None:
    wave = replace(run(approved(requested(6)), succeed=1, start=1), windows=("Sat 02:00-06:00 UTC",))
    inside = datetime(2026, 12, 5, 3, 0, tzinfo=UTC).timestamp()
    after = datetime(2026, 12, 5, 7, 0, tzinfo=UTC).timestamp()

    open_now = shown(wave_message.wave_message(wave, now=inside, approvers_label=LABEL, expected_migration_s=1800))
    closed = shown(wave_message.wave_message(wave, now=after, approvers_label=LABEL, expected_migration_s=1800))

    assert "🪟 Window open until <!date^" in open_now and "|06:00 UTC> (3 h 0 min left)" in open_now
    assert "🕑 Outside the windows; the next opens <!date^" in closed and "🪟" not in closed, "said once"
    paused = replace(wave, state=WaveState.PAUSED, pause=PauseReason(cause=PauseCause.OPERATOR, by="U0DAVE"))
    closed_paused = shown(wave_message.wave_message(paused, now=after, approvers_label=LABEL,
                                                    expected_migration_s=1800))
    assert "🪟 Next window: <!date^" in closed_paused and "|2026-12-12>" in closed_paused
    anytime = shown(render(replace(wave, windows=())))
    assert "🪟" not in anytime, "no windows: nothing to say about them"
