"""What a job needs, built once per worker process and shared by every job it runs.

Jobs take plain ids (RQ pickles their arguments); the clients are rebuilt from the environment by
whichever worker runs them, so any worker on any machine can run any job. Everything is lazy: a
notify job never builds the cloud clients, a precheck never builds a Slack client it does not use.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, field

from redis import Redis

from workers.accounts import Account
from workers.audit import AuditLog
from workers.cloud import CloudClients, RetryPolicy
from workers.cloud.fleet import FleetClients
from workers.config import Settings
from workers.domain.records import Record
from workers.freeze_store import FreezeStore
from workers.lease import Leases
from workers.queues import Queues
from workers.redis_connection import connect_redis, replicas_to_wait_for
from workers.slack import SlackClient
from workers.slack_pace import ChannelPacer
from workers.store import RecordStore
from workers.timing import WorkerTiming
from workers.wave_store import WaveStore


@dataclass
class Context:
    """One process's settings and clients; `clouds(region)` caches one CloudClients per region."""

    settings: Settings
    redis: Redis
    timing: WorkerTiming = field(default_factory=WorkerTiming)
    retry: RetryPolicy | None = None
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    _clouds: dict[str, CloudClients] = field(default_factory=dict)
    _slack: SlackClient | None = None
    _fleet: FleetClients | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(
        cls, settings: Settings, *, timing: WorkerTiming | None = None, retry: RetryPolicy | None = None
    ) -> Context:
        redis = connect_redis(settings, health_check_interval=30)
        return cls(settings=settings, redis=redis, timing=timing or WorkerTiming(), retry=retry)

    def __post_init__(self) -> None:
        self.store = RecordStore(self.redis, replicas=replicas_to_wait_for(self.settings))
        self.audit = AuditLog(self.redis, retention_days=self.settings.audit_retention_days)
        self.queues = Queues(self.redis)
        self.leases = Leases(self.redis, ttl_s=self.timing.lease_ttl_s)
        self.waves = WaveStore(self.redis)
        self.freezes = FreezeStore(self.redis, self.audit)

    def clouds(self, region: str | None = None) -> CloudClients:
        """The cloud clients of a record's region (a request may name a cluster outside the default)."""
        wanted = region or self.settings.region
        with self._lock:
            if wanted not in self._clouds:
                self._clouds[wanted] = CloudClients.from_settings(self.settings, wanted, retry=self.retry)
            return self._clouds[wanted]

    def clouds_for(self, record: Record) -> CloudClients:
        """The cloud clients of a record's cluster: its region, in its account (a wave's cluster may live in
        another account, reached through STS; the bot's own account uses `clouds(region)` as always)."""
        if record.account is None:
            return self.clouds(record.region)
        account = self.fleet.account(record.account)
        if account is None:
            raise ValueError(f"request {record.id} names account {record.account!r}, which is not configured")
        return self.clouds_in(account, record.region)

    def clouds_in(self, account: Account, region: str) -> CloudClients:
        """The clients of one configured place: the bot's own credentials through `clouds(region)` (the same
        clients a request in the bot's own account always used), another account's through STS."""
        if account.role_arn is None:
            return self.clouds(region)
        return self.fleet.clients(account, region)

    @property
    def fleet(self) -> FleetClients:
        """Clients for every configured account and region (STS for the accounts reached through a role)."""
        with self._lock:
            if self._fleet is None:
                self._fleet = FleetClients(self.settings, retry=self.retry)
            return self._fleet

    @property
    def slack(self) -> SlackClient:
        with self._lock:
            if self._slack is None:
                self.settings.require("slack_bot_token")
                pacer = ChannelPacer(self.redis, posts_per_minute=self.settings.slack_posts_per_minute)
                self._slack = SlackClient(
                    token=str(self.settings.slack_bot_token), base_url=self.settings.slack_api_url, pacer=pacer
                )
            return self._slack


_current: Context | None = None
_current_lock = threading.Lock()


def context() -> Context:
    """This process's context, built from the environment on first use (a fresh worker, a job)."""
    global _current
    with _current_lock:
        if _current is None:
            _current = Context.build(Settings.from_env(), timing=WorkerTiming.from_env())
        return _current


def use_context(ctx: Context | None) -> None:
    """Install the context jobs will use: the worker's (built from its settings) or a test's."""
    global _current
    with _current_lock:
        _current = ctx
