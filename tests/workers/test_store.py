"""The record store against a real Redis: locks, checked transitions, races, expiry and the outbox."""

from __future__ import annotations

import threading

import pytest
import redis

from workers.domain.records import IllegalTransition, Kind, Record, State, new_record_id
from workers.store import ClusterBusy, RecordNotFound, RecordStore, Reply


def _record(
    *, kind: Kind = Kind.MIGRATION, cluster_id: str = "c82e6987e2961", name: str = "prod-hz-1",
    created_at: float = 1_000.0,
) -> Record:
    return Record(
        id=new_record_id(kind), kind=kind, cluster_id=cluster_id, cluster_name=name, region="cn-hangzhou",
        requester="U0ALICE", channel="C0PLATFORM", bucket="ack-migrate-hz", created_at=created_at,
    )


def _awaiting(store: RecordStore, record: Record, *, expires_at: float = 5_000.0) -> Record:
    created = store.create(record)
    store.transition(created.id, State.PRECHECKING)
    return store.transition(created.id, State.AWAITING_APPROVAL, expires_at=expires_at)


@pytest.fixture
def store(redis_client: redis.Redis) -> RecordStore:
    return RecordStore(redis_client)


def test_created_record_reads_back_with_version_one(store: RecordStore) -> None:
    record = store.create(_record())

    loaded = store.get(record.id)

    assert loaded == record
    assert loaded.version == 1
    assert store.active_for_cluster(record.cluster_id) == record


def test_unknown_record_is_not_found(store: RecordStore) -> None:
    assert store.find("m-000000000000") is None
    with pytest.raises(RecordNotFound, match="no request with id m-000000000000"):
        store.get("m-000000000000")


def test_second_request_for_a_busy_cluster_is_refused_and_names_the_first(store: RecordStore) -> None:
    first = store.create(_record())

    with pytest.raises(ClusterBusy) as refused:
        store.create(_record(kind=Kind.CLEANUP))

    assert refused.value.existing.id == first.id
    assert store.in_flight() == [first]


def test_cluster_lock_is_released_when_the_request_ends(store: RecordStore) -> None:
    first = store.create(_record())
    store.transition(first.id, State.CANCELLED, decided_by="U0ALICE")

    second = store.create(_record())

    assert store.active_for_cluster(first.cluster_id) == second


def test_other_clusters_are_not_locked(store: RecordStore) -> None:
    store.create(_record())
    other = store.create(_record(cluster_id="c-other", name="prod-sh-2"))
    assert store.active_for_cluster("c-other") == other


def test_transition_applies_changes_and_bumps_version(store: RecordStore) -> None:
    record = store.create(_record())
    store.transition(record.id, State.PRECHECKING)

    saved = store.transition(record.id, State.AWAITING_APPROVAL, expires_at=4_600.0, message_ts="171.000")

    assert saved.state is State.AWAITING_APPROVAL
    assert saved.version == 3
    assert store.get(record.id).message_ts == "171.000"
    assert store.get(record.id).expires_at == 4_600.0


def test_illegal_transition_writes_nothing_and_queues_no_reply(store: RecordStore) -> None:
    record = store.create(_record())

    with pytest.raises(IllegalTransition):
        store.transition(record.id, State.APPROVED, decided_by="U0BOB", reply=Reply("<@U0BOB> approved."))

    assert store.get(record.id) == record
    assert store.pending_replies(record.id) == []


def test_twenty_racing_approvals_have_exactly_one_winner(redis_url: str) -> None:
    setup = RecordStore(redis.Redis.from_url(redis_url))
    record = _awaiting(setup, _record())
    winners: list[str] = []
    losers: list[str] = []
    start = threading.Barrier(20)

    def approve(approver: str) -> None:
        store = RecordStore(redis.Redis.from_url(redis_url))  # each clicker its own connection
        start.wait()
        try:
            store.transition(record.id, State.APPROVED, decided_by=approver,
                             reply=Reply(f"<@{approver}> approved. Queued."))
            winners.append(approver)
        except IllegalTransition:
            losers.append(approver)

    threads = [threading.Thread(target=approve, args=(f"U0APPROVER{n}",)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(winners) == 1 and len(losers) == 19
    saved = setup.get(record.id)
    assert saved.decided_by == winners[0]
    queued = [reply.text for _, reply in setup.pending_replies(record.id)]
    assert queued == [f"<@{winners[0]}> approved. Queued."]


def test_update_changes_fields_but_refuses_state(store: RecordStore) -> None:
    record = store.create(_record())

    saved = store.update(record.id, stage=2, stage_total=5, stage_name="Backing up etcd")

    assert (saved.stage, saved.stage_total, saved.stage_name, saved.version) == (2, 5, "Backing up etcd", 2)
    with pytest.raises(TypeError, match="state"):
        store.update(record.id, state=State.SUCCEEDED)
    with pytest.raises(TypeError, match="no field"):
        store.update(record.id, colour="red")
    assert store.get(record.id).state is State.REQUESTED


def test_replies_come_back_in_order_until_posted(store: RecordStore) -> None:
    record = store.create(_record())
    first = store.add_reply(record.id, Reply("Prechecks re-run: all passed."))
    second = store.update(record.id, task_id="T-62cc", reply=Reply("MigrateCluster accepted — task T-62cc."))
    third = store.add_reply(record.id, Reply("✅ done", blocks=[{"type": "divider"}], broadcast=True))
    assert second.task_id == "T-62cc"

    store.mark_reply_posted(record.id, first, "171.001")

    pending = store.pending_replies(record.id)
    assert [seq for seq, _ in pending] == [first + 1, third]
    assert pending[1][1] == Reply("✅ done", blocks=[{"type": "divider"}], broadcast=True)
    assert store.posted_replies(record.id) == [(first, Reply("Prechecks re-run: all passed."), "171.001")]


def test_marking_an_unknown_reply_posted_is_refused(store: RecordStore) -> None:
    record = store.create(_record())
    with pytest.raises(KeyError):
        store.mark_reply_posted(record.id, 7, "171.001")
    with pytest.raises(RecordNotFound):
        store.add_reply("m-000000000000", Reply("lost"))


def test_expire_due_expires_only_overdue_requests_once(store: RecordStore) -> None:
    overdue = _awaiting(store, _record(), expires_at=2_000.0)
    later = _awaiting(store, _record(cluster_id="c-later", name="prod-sh-2"), expires_at=9_000.0)
    decided = _awaiting(store, _record(cluster_id="c-decided", name="prod-bj-3"), expires_at=2_000.0)
    store.transition(decided.id, State.REJECTED, decided_by="U0BOB")

    expired = store.expire_due(now=3_000.0, reply=lambda r: Reply(f"⌛ {r.cluster_name} expired"))

    assert [record.id for record in expired] == [overdue.id]
    assert store.get(overdue.id).state is State.EXPIRED
    assert store.get(later.id).state is State.AWAITING_APPROVAL
    assert store.expire_due(now=3_000.0) == []
    assert [r.text for _, r in store.pending_replies(overdue.id)] == ["⌛ prod-hz-1 expired"]
    assert store.active_for_cluster(overdue.cluster_id) is None


def test_indexes_list_in_flight_recent_and_per_cluster(store: RecordStore) -> None:
    old = store.create(_record(created_at=100.0))
    store.transition(old.id, State.CANCELLED)
    newer = store.create(_record(created_at=200.0))
    other = store.create(_record(cluster_id="c-other", name="prod-sh-2", created_at=150.0))
    store.transition(newer.id, State.PRECHECKING)
    store.transition(newer.id, State.AWAITING_APPROVAL)
    store.transition(newer.id, State.APPROVED, decided_by="U0BOB")

    assert [r.id for r in store.in_flight()] == [other.id, newer.id]
    assert [r.id for r in store.recent()] == [old.id]
    assert [r.id for r in store.for_cluster("prod-hz-1")] == [newer.id, old.id]
    assert [r.id for r in store.for_cluster("c82e6987e2961")] == [newer.id, old.id]
    assert [r.id for r in store.needs_attention()] == [newer.id]


def test_recent_honours_since_and_limit(redis_client: redis.Redis) -> None:
    now = [1_000.0]
    store = RecordStore(redis_client, clock=lambda: now[0])
    ended = []
    for n in range(3):
        record = store.create(_record(cluster_id=f"c{n}", name=f"stg-{n}"))
        now[0] += 100
        ended.append(store.transition(record.id, State.CANCELLED))

    assert [r.id for r in store.recent(limit=2)] == [ended[2].id, ended[1].id]
    assert [r.id for r in store.recent(since=1_150.0)] == [ended[2].id, ended[1].id]


def test_dirty_message_stays_dirty_until_a_current_version_is_rendered(store: RecordStore) -> None:
    record = store.create(_record())
    moved = store.transition(record.id, State.PRECHECKING)
    store.mark_message_dirty(record.id)

    store.mark_message_clean(record.id, record.version)  # a render of the older version
    assert store.dirty_messages() == [record.id]

    store.mark_message_clean(record.id, moved.version)
    assert store.dirty_messages() == []


def test_ten_racing_requests_for_one_cluster_create_exactly_one(redis_url: str) -> None:
    created: list[str] = []
    busy: list[str] = []
    start = threading.Barrier(10)

    def request(n: int) -> None:
        store = RecordStore(redis.Redis.from_url(redis_url))
        start.wait()
        try:
            created.append(store.create(_record()).id)
        except ClusterBusy as refused:
            busy.append(refused.existing.id)

    threads = [threading.Thread(target=request, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(created) == 1
    assert busy == [created[0]] * 9


def test_a_lock_left_by_an_ended_request_does_not_block_the_cluster(
    store: RecordStore, redis_client: redis.Redis
) -> None:
    ended = store.create(_record())
    store.transition(ended.id, State.CANCELLED)
    redis_client.set(f"ackmigrate:lock:cluster:{ended.cluster_id}", ended.id)  # as if a release was lost

    fresh = store.create(_record())

    assert store.active_for_cluster(ended.cluster_id) == fresh
