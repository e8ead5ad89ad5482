"""Waves through `serve`, two workers and the sandbox, as the channel and an operator see them.

A wave is typed in Slack (`/ackmigrate wave create …`), approved with the Approve button, and then runs
on its own. What is asserted is what people and operators can observe:

- the cloud's side, from the sandbox: every MigrateCluster call, and each migration task's exact start and
  end (`started_at`/`ended_at` in `GET /_sandbox/clusters`) — from which "at most N at any instant",
  "the canary ended before the others started" and "one MigrateCluster per cluster" are computed;
- the channel: the wave's parent message (updated in place), its thread (one start and one end line per
  cluster, each linking to the cluster's own migration thread), the pause and freeze announcements;
- the audit log.

Every wait is on something observable, with a bound (`wait_for`); nothing sleeps blindly. The clusters'
migrations are short (3-4 s of simulated ACK time) and the stack's polls, leases and sweeps are fast
(processes.FAST, lease 2 s, sweep 0.5 s), so a wave of 8 takes tens of seconds.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
import redis

from tests.e2e.processes import ALICE, BOB, BUCKET, CAROL, Stack, running_stack, wait_for
from workers.audit import AuditLog
from workers.domain.freeze import Freeze
from workers.domain.records import State
from workers.domain.waves import ClusterState, Wave, WaveState
from workers.freeze_store import FreezeStore
from workers.wave_store import WaveStore

pytestmark = pytest.mark.e2e

WAVE_TIMEOUT_S = 180.0
"""A wave of a few clusters takes tens of seconds here; three minutes covers a machine shared by others."""
SLACK_TIMEOUT_S = 120.0
"""For what the channel shows: posts queue behind the per-channel pacer. The pacer is raised to 600 posts a
minute in this module (each cluster's own thread and the wave's add up to ~100 posts per wave); the
benchmark measures the channel at the production pace of 60."""


def wave_stack() -> AbstractContextManager[Stack]:
    """serve, two workers and the sandbox, tuned for waves (test_wave_kills.py starts its own the same way)."""
    return running_stack(worker_count=2, ACKMIGRATE_EXPECTED_MIGRATION_MINUTES="1", ACKMIGRATE_LEASE_TTL="2",
                         ACKMIGRATE_RECONCILE_INTERVAL="0.5", ACKMIGRATE_SLACK_POSTS_PER_MINUTE="600")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with wave_stack() as running:
        yield running


# -- acting -------------------------------------------------------------------------------------------------

def _fleet(stack: Stack, prefix: str, count: int, *, duration_s: float = 3, **special: dict[str, Any]) -> list[str]:
    """`count` ready dedicated clusters named PREFIX-1…; `special` gives one of them (by name) its own
    migration spec (e.g. a failing stage). Their ids, in name order."""
    ids = []
    for index in range(1, count + 1):
        name = f"{prefix}-{index}"
        migration = special.get(name.replace("-", "_"), {"duration_s": duration_s})
        ids.append(stack.new_cluster(name, migration=migration)["cluster_id"])
    return ids


def _waves(stack: Stack) -> WaveStore:
    return WaveStore(redis.Redis.from_url(stack.redis_url))


def _requested_wave(stack: Stack, name: str, flags: str) -> str:
    """Alice asks for the wave; its request message (with Approve) is in the channel. Its ts."""
    stack.slash(ALICE, f"wave create {name} --bucket-map cn-hangzhou={BUCKET} {flags}")

    def posted() -> str | None:
        wave = _waves(stack).find(name)
        if wave is None or wave.message_ts is None:
            return None
        return wave.message_ts if any(m.get("ts") == wave.message_ts for m in stack.channel()) else None

    return wait_for(posted, timeout_s=90, what=f"the request message of wave {name}")


def _approved_wave(stack: Stack, name: str, flags: str) -> str:
    """Requested by Alice and approved by Bob and Carol (two approvers: ACKMIGRATE_WAVE_APPROVALS_REQUIRED's
    default), each clicking Approve on the wave's message."""
    ts = _requested_wave(stack, name, flags)
    stack.click(BOB, ts, "approve_wave")
    stack.click(CAROL, ts, "approve_wave")
    wait_for(lambda: _waves(stack).get(name).state not in (WaveState.REQUESTED, WaveState.AWAITING_APPROVAL),
             what=f"wave {name} approved by two")
    return ts


def _finished(stack: Stack, name: str, timeout_s: float = WAVE_TIMEOUT_S) -> Wave:
    return wait_for(lambda: (w := _waves(stack).get(name)).state is WaveState.DONE and w,
                    timeout_s=timeout_s, what=f"wave {name} done")


# -- observing ----------------------------------------------------------------------------------------------

def _tasks(stack: Stack, cluster_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each cluster's migration tasks as the sandbox (ACK) recorded them, with exact start and end."""
    wanted = set(cluster_ids)
    return {c["cluster_id"]: [t for t in c["tasks"] if t["task_type"] != "remove_nodes"]
            for c in stack.control.request("GET", "/clusters") if c["cluster_id"] in wanted}


def _most_at_once(intervals: list[tuple[float, float]]) -> int:
    """The largest number of intervals that overlap at any instant (an end at t frees its slot before a start
    at t: ACK's stamps for both may be equal when one poll sees one end and the next start)."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals],
                    key=lambda e: (e[0], e[1]))
    running = most = 0
    for _, step in events:
        running += step
        most = max(most, running)
    return most


def _intervals(tasks: dict[str, list[dict[str, Any]]]) -> list[tuple[float, float]]:
    return [(t["started_at"], t["ended_at"] if t["ended_at"] is not None else math.inf)
            for found in tasks.values() for t in found]


def _migrate_calls(stack: Stack, cluster_ids: list[str]) -> dict[str, int]:
    return {cid: len(stack.migrate_calls(cid)) for cid in cluster_ids}


def _freeze(stack: Stack) -> Freeze | None:
    connection = redis.Redis.from_url(stack.redis_url)
    return FreezeStore(connection, AuditLog(connection)).current()


def _parent(stack: Stack, ts: str) -> dict[str, Any]:
    return stack.message(ts)


def _parent_text(stack: Stack, ts: str) -> str:
    """What the wave's parent message shows: its fallback text and every block's text."""
    message = _parent(stack, ts)
    return str(message.get("text", "")) + "\n" + json.dumps(message.get("blocks") or [], ensure_ascii=False)


def _wave_audit(stack: Stack, name: str) -> list[dict[str, Any]]:
    """The audit entries about wave `name`, oldest first (`ackmigrate audit --json`: the wave in details)."""
    return [e for e in stack.audit() if (e.get("details") or {}).get("wave") == name]


def _every_cluster_ended_in_thread(stack: Stack, wave_ts: str, wave: Wave) -> bool:
    texts = stack.thread_texts(wave_ts)
    return all(any(t.startswith(("✅", "❌", "⏭️")) for t in _lines_about(texts, c.name)) for c in wave.clusters)


def _lines_about(texts: list[str], cluster_name: str) -> list[str]:
    return [t for t in texts if f"/{cluster_name}`" in t]


def _assert_thread_tells_each_cluster_once(stack: Stack, wave_ts: str, wave: Wave) -> None:
    """One start line and one end line per cluster, each linking to the cluster's own migration thread."""
    texts = stack.thread_texts(wave_ts)
    for cluster in wave.clusters:
        about = _lines_about(texts, cluster.name)
        starts = [t for t in about if t.startswith("🚚 Started")]
        ends = [t for t in about if t.startswith(("✅", "❌", "⏭️"))]
        assert (len(starts), len(ends)) == (1, 1), f"{cluster.name}: {about}"
        record = stack.store.get(str(cluster.record_id))
        link = f"p{str(record.message_ts).replace('.', '')}"
        assert all(link in t for t in starts + ends), f"{cluster.name}'s lines link to its thread: {about}"


# -- the tests ----------------------------------------------------------------------------------------------

def test_a_wave_of_eight_runs_at_most_two_at_once_canary_first_and_migrates_each_cluster_once(
    stack: Stack,
) -> None:
    ids = _fleet(stack, "w8", 8)
    wave_ts = _approved_wave(stack, "eight", "--clusters w8-* --max-parallel 2 --canary 1 --soak 3s")

    wave = _finished(stack, "eight")

    assert [c.state for c in wave.clusters] == [ClusterState.SUCCEEDED] * 8
    assert _migrate_calls(stack, ids) == dict.fromkeys(ids, 1), "exactly one MigrateCluster per cluster"
    tasks = _tasks(stack, ids)
    assert all(len(found) == 1 and found[0]["state"] == "success" for found in tasks.values()), tasks
    assert _most_at_once(_intervals(tasks)) == 2, "two at a time, never more"

    # The canary (first in the wave's order) ended, then the soak passed, before any other cluster started.
    canary = wave.clusters[0].cluster_id
    canary_end = tasks[canary][0]["ended_at"]
    others = [tasks[cid][0]["started_at"] for cid in ids if cid != canary]
    assert min(others) >= canary_end + 3, (canary_end, sorted(others))

    # The channel: the parent shows the whole wave ended; the thread one start and one end per cluster.
    wait_for(lambda: "8/8 ended" in _parent_text(stack, wave_ts), what="the parent redrawn to the end", timeout_s=SLACK_TIMEOUT_S)
    parent = _parent_text(stack, wave_ts)
    assert "Wave done" in parent and "▓" * 10 in parent, parent
    wait_for(lambda: _every_cluster_ended_in_thread(stack, wave_ts, wave), what="every cluster's end in the thread",
             timeout_s=SLACK_TIMEOUT_S)
    _assert_thread_tells_each_cluster_once(stack, wave_ts, wave)
    assert sum("canary" in t for t in stack.thread_texts(wave_ts) if t.startswith("🚚")) == 1
    assert _parent(stack, wave_ts).get("edits"), "the parent is updated in place, not reposted"

    audit = _wave_audit(stack, "eight")
    assert sorted(e["cluster_id"] for e in audit if e["event"] == "wave_cluster_started") == sorted(ids)
    assert sum(e["event"] == "wave_finished" for e in audit) == 1
    assert sorted(e["actor"] for e in audit if e["event"] == "approved") == [BOB, CAROL], "two approvers, once each"


def test_a_failing_cluster_pauses_the_wave_and_says_why_and_resume_runs_it_to_the_end(stack: Stack) -> None:
    ids = _fleet(stack, "wf", 4, wf_2={"duration_s": 3, "fail_at_stage": 3})
    wave_ts = _approved_wave(stack, "failing", "--clusters wf-* --max-parallel 1 --canary 1 --soak 1s")

    paused = wait_for(lambda: (w := _waves(stack).get("failing")).state is WaveState.PAUSED and w,
                      timeout_s=WAVE_TIMEOUT_S, what="the wave paused by its failure budget")

    failed = [c for c in paused.clusters if c.state is ClusterState.FAILED]
    assert [c.name for c in failed] == ["wf-2"]
    assert [c.state for c in paused.clusters].count(ClusterState.PENDING) == 2, "nothing started after the failure"
    said = wait_for(lambda: [m for m in stack.channel() if "Paused itself" in str(m.get("text", ""))
                             + json.dumps(m.get("blocks") or [], ensure_ascii=False)],
                    what="the pause, and why, in the channel", timeout_s=SLACK_TIMEOUT_S)
    assert any("wf-2" in json.dumps(m, ensure_ascii=False) for m in said), said
    wait_for(lambda: "Paused itself" in _parent_text(stack, wave_ts), what="the parent shows the pause", timeout_s=SLACK_TIMEOUT_S)
    assert sum(_migrate_calls(stack, ids).values()) == 2, "the canary and the failing cluster only"

    stack.slash(ALICE, "wave resume failing")  # a requester may pause, only an approver resumes
    assert _waves(stack).get("failing").state is WaveState.PAUSED
    stack.slash(BOB, "wave resume failing")

    wave = _finished(stack, "failing")
    assert [c.state for c in wave.clusters].count(ClusterState.SUCCEEDED) == 3
    assert _migrate_calls(stack, ids) == dict.fromkeys(ids, 1)
    assert _most_at_once(_intervals(_tasks(stack, ids))) == 1
    wait_for(lambda: _every_cluster_ended_in_thread(stack, wave_ts, wave), what="every cluster's end in the thread",
             timeout_s=SLACK_TIMEOUT_S)
    _assert_thread_tells_each_cluster_once(stack, wave_ts, wave)
    events = [e["event"] for e in _wave_audit(stack, "failing")]
    assert events.count("wave_paused") == 1 and events.count("wave_resumed") == 1


def test_a_freeze_holds_every_start_and_an_approvers_unfreeze_releases_them(stack: Stack) -> None:
    single = stack.new_cluster("wz-single")["cluster_id"]
    ids = _fleet(stack, "wz", 2)
    try:
        stack.slash(ALICE, "freeze --reason 'payments release'")  # freezing needs no approval
        wait_for(lambda: _freeze(stack), what="the freeze in force")
        wait_for(lambda: any("froze all starts" in json.dumps(m, ensure_ascii=False) for m in stack.channel()),
                 what="the freeze announced in the channel", timeout_s=SLACK_TIMEOUT_S)

        stack.slash(ALICE, f"migrate wz-single --bucket {BUCKET}")
        record = stack.posted_request(single)
        stack.click(BOB, str(record.message_ts), "approve_migration")
        wave_ts = _approved_wave(stack, "frozen", "--clusters wz-? --max-parallel 2 --canary 0")

        wait_for(lambda: any(t.startswith(":snowflake: Held") for t in stack.thread_texts(str(record.message_ts))),
                 what="the single migration told it is held", timeout_s=SLACK_TIMEOUT_S)
        wait_for(lambda: "Starts are frozen" in _parent_text(stack, wave_ts), what="the wave shows the freeze", timeout_s=SLACK_TIMEOUT_S)
        assert stack.store.get(record.id).state is State.APPROVED
        assert sum(_migrate_calls(stack, [single, *ids]).values()) == 0, "nothing started while frozen"

        stack.slash(ALICE, "unfreeze")  # not an approver: refused, privately, and still frozen
        wait_for(lambda: any("Lifting a freeze needs an approver" in t for t in stack.private(ALICE)),
                 what="Alice told only an approver may", timeout_s=SLACK_TIMEOUT_S)
        assert _freeze(stack) is not None
        assert sum(_migrate_calls(stack, [single, *ids]).values()) == 0
        stack.slash(BOB, "unfreeze")
        wait_for(lambda: any("lifted the freeze" in json.dumps(m, ensure_ascii=False) for m in stack.channel()),
                 what="the unfreeze announced", timeout_s=SLACK_TIMEOUT_S)

        _finished(stack, "frozen")
        wait_for(lambda: stack.settled(record.id), what="the held single migration finished")
        assert stack.store.get(record.id).state is State.SUCCEEDED
        assert _migrate_calls(stack, [single, *ids]) == dict.fromkeys([single, *ids], 1)
        events = [e["event"] for e in stack.audit()]
        assert "frozen" in events and "unfrozen" in events, sorted(set(events))
    finally:
        stack.slash(BOB, "unfreeze")  # never leave the module frozen for the next test


def test_the_home_tab_lists_the_wave_in_flight(stack: Stack) -> None:
    _fleet(stack, "wh", 3, duration_s=6)
    _approved_wave(stack, "homely", "--clusters wh-* --max-parallel 1 --canary 0")
    wait_for(lambda: _waves(stack).get("homely").running, what="the wave running")

    stack.control.request("POST", "/slack/app_home_opened", {"user": BOB})

    def shown() -> str | None:
        view = stack.control.request("GET", "/slack/home", user=BOB)["view"]
        text = json.dumps(view or {}, ensure_ascii=False)
        return text if "homely" in text else None

    text = wait_for(shown, what="Bob's Home tab lists the wave")
    assert re.search(r"homely", text)
    assert len(stack.control.request("GET", "/slack/home", user=BOB)["view"]["blocks"]) <= 100
    _finished(stack, "homely")
