"""Requests awaiting approval, made directly in the store (the job that normally opens them is not the bot's)."""

from __future__ import annotations

import time

from redis import Redis

from workers.domain.records import Kind, Record, State, new_record_id
from workers.store import RecordStore


def awaiting_request(
    redis: Redis,
    *,
    kind: Kind = Kind.MIGRATION,
    requester: str = "U0ALICE",
    cluster_name: str = "prod-hz-1",
    expires_in_s: float = 3600,
    message_ts: str | None = None,
    channel: str = "C0PLATFORM",
    approvals_required: int = 1,
) -> Record:
    """A request whose prechecks passed and that waits for an approver."""
    now = time.time()
    cluster_id = "c" + (cluster_name.encode().hex() + "0" * 32)[:32]
    record = Record(
        id=new_record_id(kind), kind=kind, cluster_id=cluster_id, cluster_name=cluster_name,
        region="cn-hangzhou", requester=requester, channel=channel, state=State.AWAITING_APPROVAL,
        expires_at=now + expires_in_s, bucket="ack-migrate-hz" if kind is Kind.MIGRATION else None,
        message_ts=message_ts, approvals_required=approvals_required,
    )
    return RecordStore(redis).create(record)
