"""The wave store against a real Redis: unique names, M-of-N approval, and claim_start's promise — never
more than max_parallel running, never a cluster twice, nothing while paused, cancelled or frozen — with
two workers racing."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
import redis

from workers.audit import AuditLog
from workers.domain.waves import (
    AlreadyApprovedWave,
    Blocker,
    ClaimRefusal,
    ClusterState,
    IllegalWaveTransition,
    PauseCause,
    PauseReason,
    SelfApproval,
    Wave,
    WaveCluster,
    WaveRefused,
    WaveState,
)
from workers.freeze_store import FreezeStore
from workers.wave_store import Claimed, NotClaimed, WaveExists, WaveNotFound, WaveStore, wave_key


def clusters(count: int) -> tuple[WaveCluster, ...]:
    return tuple(WaveCluster(cluster_id=f"c{i:02d}", name=f"web-{i:02d}", account="main", region="cn-hangzhou")
                 for i in range(1, count + 1))


def new_wave(name: str = "w1", *, count: int = 4, max_parallel: int = 2, required: int = 2) -> Wave:
    return Wave(name=name, requester="UREQ", channel="C1", bucket_map={"cn-hangzhou": "ack-hz"},
                max_parallel=max_parallel, approvals_required=required, canary=1, soak_s=0.0,
                clusters=clusters(count))


def approved(store: WaveStore, wave: Wave) -> Wave:
    store.create(wave)
    store.propose(wave.name, clusters=wave.clusters, expires_at=time.time() + 3600)
    for user in ("UA", "UB")[: wave.approvals_required]:
        decided = store.approve(wave.name, user=user, at=time.time())
    return decided


@pytest.fixture
def store(redis_client: redis.Redis) -> WaveStore:
    return WaveStore(redis_client)


@pytest.fixture
def freezes(redis_client: redis.Redis) -> FreezeStore:
    return FreezeStore(redis_client, AuditLog(redis_client))


@pytest.fixture
def worker_clients(redis_url: str) -> Iterator[list[redis.Redis]]:
    """One Redis client per simulated worker, as two worker processes would have."""
    clients = [redis.Redis.from_url(redis_url) for _ in range(4)]
    yield clients
    for client in clients:
        client.close()


# --- one wave ------------------------------------------------------------------------------------------------

def test_a_created_wave_reads_back_as_saved(store: WaveStore) -> None:
    saved = store.create(new_wave())
    assert saved.version == 1 and saved.created_at > 0
    assert store.get("w1") == saved
    assert store.all() == [saved]


def test_a_wave_name_is_taken_for_good(store: WaveStore) -> None:
    store.create(new_wave())
    store.cancel("w1", user="UREQ")
    with pytest.raises(WaveExists, match="already exists"):
        store.create(new_wave())


def test_an_unknown_wave_is_not_found(store: WaveStore) -> None:
    assert store.find("nope") is None
    with pytest.raises(WaveNotFound, match="no wave named nope"):
        store.claim_start("nope", "c01")


def test_a_wave_needs_two_approvers_other_than_the_requester(store: WaveStore) -> None:
    store.create(new_wave())
    store.propose("w1", clusters=clusters(4), expires_at=time.time() + 3600)
    with pytest.raises(SelfApproval):
        store.approve("w1", user="UREQ", at=1.0)
    assert store.approve("w1", user="UA", at=1.0).state is WaveState.AWAITING_APPROVAL
    with pytest.raises(AlreadyApprovedWave):
        store.approve("w1", user="UA", at=2.0)
    assert store.approve("w1", user="UB", at=3.0).state is WaveState.APPROVED
    assert store.get("w1").approvers == ["UA", "UB"]


def test_of_two_approvals_racing_for_the_last_place_exactly_one_approves(
    store: WaveStore, worker_clients: list[redis.Redis]
) -> None:
    store.create(new_wave())
    store.propose("w1", clusters=clusters(4), expires_at=time.time() + 3600)
    store.approve("w1", user="UA", at=1.0)
    barrier, outcomes = threading.Barrier(2), []

    def click(user: str, client: redis.Redis) -> None:
        racer = WaveStore(client)
        barrier.wait()
        try:
            outcomes.append(racer.approve("w1", user=user, at=2.0).state)
        except IllegalWaveTransition:
            outcomes.append("refused")

    threads = [threading.Thread(target=click, args=(u, c)) for u, c in zip(("UB", "UC"), worker_clients, strict=False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, outcomes)) == ["approved", "refused"]
    assert len(store.get("w1").approvers) == 2


def test_an_undecided_wave_expires_once(store: WaveStore, worker_clients: list[redis.Redis]) -> None:
    store.create(new_wave())
    store.propose("w1", clusters=clusters(2), expires_at=100.0)
    other = WaveStore(worker_clients[0])
    assert store.expire_due(now=99.0) == []
    expired = store.expire_due(now=101.0) + other.expire_due(now=101.0)
    assert [w.state for w in expired] == [WaveState.EXPIRED]
    with pytest.raises(IllegalWaveTransition):
        store.approve("w1", user="UA", at=102.0)


# --- claim_start ---------------------------------------------------------------------------------------------

def test_claims_stop_at_max_parallel_and_an_end_frees_a_slot(store: WaveStore) -> None:
    approved(store, new_wave(max_parallel=2))
    first = store.claim_start("w1", "c01", record_id="m-1")
    assert isinstance(first, Claimed)
    assert first.wave.state is WaveState.RUNNING and first.wave.clusters[0].record_id == "m-1"
    assert isinstance(store.claim_start("w1", "c02"), Claimed)
    third = store.claim_start("w1", "c03")
    assert isinstance(third, NotClaimed) and third.why is ClaimRefusal.SLOTS_FULL
    assert store.running_clusters("w1") == {"c01", "c02"}

    store.record_end("w1", "c01", ClusterState.SUCCEEDED)
    assert store.running_clusters("w1") == {"c02"}
    assert isinstance(store.claim_start("w1", "c03"), Claimed)


def test_a_cluster_is_never_claimed_twice(store: WaveStore) -> None:
    approved(store, new_wave())
    assert isinstance(store.claim_start("w1", "c01"), Claimed)
    again = store.claim_start("w1", "c01")
    assert isinstance(again, NotClaimed) and again.why is ClaimRefusal.NOT_PENDING
    store.record_end("w1", "c01", ClusterState.FAILED, error="task failed")
    after_end = store.claim_start("w1", "c01")
    assert isinstance(after_end, NotClaimed) and after_end.why is ClaimRefusal.NOT_PENDING


def test_a_paused_or_cancelled_wave_starts_nothing_and_still_records_ends(store: WaveStore) -> None:
    approved(store, new_wave())
    store.claim_start("w1", "c01")
    store.pause("w1", PauseReason(cause=PauseCause.OPERATOR, by="UA"))
    paused = store.claim_start("w1", "c02")
    assert isinstance(paused, NotClaimed) and paused.why is ClaimRefusal.NOT_STARTING
    store.resume("w1")
    assert isinstance(store.claim_start("w1", "c02"), Claimed)

    store.cancel("w1", user="UA")
    cancelled = store.claim_start("w1", "c03")
    assert isinstance(cancelled, NotClaimed) and cancelled.why is ClaimRefusal.NOT_STARTING
    store.record_end("w1", "c01", ClusterState.SUCCEEDED)
    ended = store.record_end("w1", "c02", ClusterState.SKIPPED, blocker=Blocker("cluster-state", "upgrading"))
    assert ended.state is WaveState.CANCELLED
    assert [c.state for c in ended.clusters] == [ClusterState.SUCCEEDED, ClusterState.SKIPPED,
                                                 ClusterState.PENDING, ClusterState.PENDING]
    assert store.running_clusters("w1") == set()


def test_a_freeze_holds_claims_and_unfreezing_releases_them(store: WaveStore, freezes: FreezeStore) -> None:
    approved(store, new_wave())
    freezes.freeze(by="U9", reason="incident")
    frozen = store.claim_start("w1", "c01")
    assert isinstance(frozen, NotClaimed) and frozen.why is ClaimRefusal.FROZEN
    assert store.get("w1").clusters[0].state is ClusterState.PENDING
    assert store.running_clusters("w1") == set()

    freezes.unfreeze(by="UA")
    assert isinstance(store.claim_start("w1", "c01"), Claimed)


def test_two_workers_racing_for_every_cluster_never_exceed_max_parallel_nor_start_one_twice(
    store: WaveStore, worker_clients: list[redis.Redis]
) -> None:
    approved(store, new_wave(count=8, max_parallel=2))
    barrier = threading.Barrier(2)
    started: list[str] = []
    holding = [0]
    most = [0]
    guard = threading.Lock()

    def work(client: redis.Redis) -> None:
        worker = WaveStore(client)
        barrier.wait()
        while True:
            wave = worker.get("w1")
            if not wave.pending:
                return
            for cluster in wave.pending:
                outcome = worker.claim_start("w1", cluster.cluster_id)
                if isinstance(outcome, Claimed):
                    with guard:
                        started.append(cluster.cluster_id)
                        holding[0] += 1
                        most[0] = max(most[0], holding[0])
                    time.sleep(0.001)  # a migration's length, so the other worker meets a full wave
                    with guard:
                        holding[0] -= 1
                    worker.record_end("w1", cluster.cluster_id, ClusterState.SUCCEEDED)
                    break

    threads = [threading.Thread(target=work, args=(client,)) for client in worker_clients[:2]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(started) == [f"c{i:02d}" for i in range(1, 9)]  # each exactly once
    assert most[0] <= 2
    final = store.get("w1")
    assert [c.state for c in final.clusters] == [ClusterState.SUCCEEDED] * 8
    assert store.running_clusters("w1") == set()


def test_two_workers_racing_for_the_last_slot_one_gets_it(
    store: WaveStore, worker_clients: list[redis.Redis]
) -> None:
    approved(store, new_wave(count=4, max_parallel=1))

    def claim(client: redis.Redis, cluster_id: str, barrier: threading.Barrier, outcomes: list[object]) -> None:
        racer = WaveStore(client)
        barrier.wait()
        outcomes.append(racer.claim_start("w1", cluster_id))

    for _ in range(20):
        barrier, outcomes = threading.Barrier(2), []
        wave = store.get("w1")
        pending = [c.cluster_id for c in wave.pending][:2]
        if len(pending) < 2:
            break
        threads = [threading.Thread(target=claim, args=(c, p, barrier, outcomes))
                   for c, p in zip(worker_clients, pending, strict=False)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [o for o in outcomes if isinstance(o, Claimed)]
        losers = [o for o in outcomes if isinstance(o, NotClaimed)]
        assert len(winners) == 1 and [o.why for o in losers] == [ClaimRefusal.SLOTS_FULL]
        running = store.running_clusters("w1")
        assert len(running) == 1
        store.record_end("w1", running.pop(), ClusterState.SUCCEEDED)


class _Interleaved(WaveStore):
    """A worker whose next read is followed, before it writes, by another worker's whole claim: the
    interleaving two real workers produce now and then, made certain."""

    def __init__(self, client: redis.Redis) -> None:
        super().__init__(client)
        self.between: list[object] = []

    def get(self, name: str) -> Wave:
        wave = super().get(name)
        while self.between:
            step = self.between.pop()
            step()  # type: ignore[operator]
        return wave


def test_a_claim_decided_on_a_copy_another_worker_changed_is_decided_again(
    store: WaveStore, worker_clients: list[redis.Redis]
) -> None:
    approved(store, new_wave(max_parallel=2))
    slow, fast = _Interleaved(worker_clients[0]), WaveStore(worker_clients[1])
    slow.between.append(lambda: fast.claim_start("w1", "c01", record_id="m-fast"))

    outcome = slow.claim_start("w1", "c01", record_id="m-slow")

    assert isinstance(outcome, NotClaimed) and outcome.why is ClaimRefusal.NOT_PENDING
    assert store.get("w1").clusters[0].record_id == "m-fast"  # the first claim's write was not overwritten
    assert store.running_clusters("w1") == {"c01"}


def test_a_slot_taken_between_a_workers_read_and_its_write_is_not_taken_twice(
    store: WaveStore, worker_clients: list[redis.Redis]
) -> None:
    approved(store, new_wave(max_parallel=1))
    slow, fast = _Interleaved(worker_clients[0]), WaveStore(worker_clients[1])
    slow.between.append(lambda: fast.claim_start("w1", "c02"))

    outcome = slow.claim_start("w1", "c01")

    assert isinstance(outcome, NotClaimed) and outcome.why is ClaimRefusal.SLOTS_FULL
    assert store.running_clusters("w1") == {"c02"}


def test_a_pause_between_a_workers_read_and_its_write_stops_the_start(
    store: WaveStore, worker_clients: list[redis.Redis]
) -> None:
    approved(store, new_wave())
    slow, other = _Interleaved(worker_clients[0]), WaveStore(worker_clients[1])
    slow.between.append(lambda: other.pause("w1", PauseReason(cause=PauseCause.OPERATOR, by="UA")))

    outcome = slow.claim_start("w1", "c01")

    assert isinstance(outcome, NotClaimed) and outcome.why is ClaimRefusal.NOT_STARTING
    assert store.running_clusters("w1") == set()


def test_a_freeze_between_a_workers_read_and_its_write_stops_the_start(
    store: WaveStore, freezes: FreezeStore, worker_clients: list[redis.Redis]
) -> None:
    approved(store, new_wave())
    slow = _Interleaved(worker_clients[0])
    slow.between.append(lambda: freezes.freeze(by="U9", reason="incident"))

    outcome = slow.claim_start("w1", "c01")

    assert isinstance(outcome, NotClaimed) and outcome.why is ClaimRefusal.FROZEN
    assert store.get("w1").clusters[0].state is ClusterState.PENDING


def test_waves_are_listed_newest_first_and_active_ones_apart(redis_client: redis.Redis) -> None:
    clock = [1_000.0]
    store = WaveStore(redis_client, clock=lambda: clock[0])
    store.create(new_wave("older"))
    clock[0] = 2_000.0
    store.create(new_wave("newer"))
    store.cancel("older", user="UREQ")
    assert [w.name for w in store.all()] == ["newer", "older"]
    assert [w.name for w in store.active()] == ["newer"]
    assert store.all()[1].state is WaveState.CANCELLED and store.all()[1].version == 2


def test_a_rejected_wave_leaves_the_approval_queue_and_takes_no_approval(store: WaveStore) -> None:
    store.create(new_wave())
    store.propose("w1", clusters=clusters(2), expires_at=100.0)
    rejected = store.reject("w1", user="UA", at=50.0)
    assert (rejected.state, rejected.decided_by) == (WaveState.REJECTED, "UA")
    assert store.expire_due(now=101.0) == []
    with pytest.raises(IllegalWaveTransition):
        store.approve("w1", user="UB", at=51.0)


def test_a_rejection_keeps_the_reason_typed_and_a_wave_stored_before_it_still_loads(
        store: WaveStore, redis_client: redis.Redis) -> None:
    store.create(new_wave())
    store.propose("w1", clusters=clusters(2), expires_at=100.0)
    store.reject("w1", user="UA", at=50.0, reason="not during the sale")
    assert (store.get("w1").rejection_reason, store.get("w1").reason) == ("not during the sale", None)

    stored = json.loads(store.get("w1").to_json())  # as an earlier release wrote it: its own sentence, no field
    del stored["rejection_reason"]
    stored["reason"] = "Rejected by UA."
    redis_client.hset(wave_key("w1"), "data", json.dumps(stored))
    assert (store.get("w1").rejection_reason, store.get("w1").reason) == (None, "Rejected by UA.")


def test_a_wave_is_finished_once_every_cluster_has_ended_and_keeps_its_message(store: WaveStore) -> None:
    approved(store, new_wave(count=1))
    store.set_message_ts("w1", "1733200000.000100")
    store.claim_start("w1", "c01")
    with pytest.raises(WaveRefused, match="still has clusters"):
        store.finish("w1")
    store.record_end("w1", "c01", ClusterState.SUCCEEDED)
    done = store.finish("w1")
    assert (done.state, done.message_ts) == (WaveState.DONE, "1733200000.000100")
    assert store.active() == []
