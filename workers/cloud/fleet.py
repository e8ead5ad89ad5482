"""Clients for every (account, region) of the fleet, each with the credentials that account needs.

An account with a role ARN is reached with temporary credentials from STS AssumeRole, asked for with the
bot's own credentials and kept until shortly before they expire (workers.cloud.sts); an account without
one is the bot's own credentials. Every client of one FleetClients shares one CallLimits, so the cap on
calls in flight per account, service and region (ACKMIGRATE_CLOUD_CONCURRENCY) holds across a plan's
threads.
"""

from __future__ import annotations

import threading

from workers.accounts import Account
from workers.cloud import CloudClients
from workers.cloud.acs import AcsTransport
from workers.cloud.credentials import CloudCredentials
from workers.cloud.endpoints import ApiEndpoint, parse_override
from workers.cloud.limits import CallLimits
from workers.cloud.retry import RetryPolicy
from workers.cloud.sts import AssumedRoleCredentials, StsClient
from workers.config import Settings

PUBLIC_STS_ENDPOINT = ApiEndpoint(protocol="https", host="sts.aliyuncs.com")


class FleetClients:
    """Builds and keeps CloudClients per (account, region); thread-safe."""

    def __init__(self, settings: Settings, *, retry: RetryPolicy | None = None) -> None:
        self.settings = settings
        self.retry = retry or RetryPolicy()
        self.limits = CallLimits(settings.cloud_concurrency)
        self._own = CloudCredentials.from_settings(settings)
        self._lock = threading.Lock()
        self._roles: dict[str, AssumedRoleCredentials] = {}
        self._clients: dict[tuple[str, str], tuple[CloudCredentials, CloudClients]] = {}

    @property
    def accounts(self) -> tuple[Account, ...]:
        return self.settings.accounts

    def account(self, alias: str) -> Account | None:
        return next((a for a in self.accounts if a.alias == alias), None)

    def clients(self, account: Account, region: str) -> CloudClients:
        """Clients for one account and region; rebuilt when the account's temporary credentials change."""
        credentials = self.credentials(account)
        key = (account.alias, region)
        with self._lock:
            cached = self._clients.get(key)
            if cached is not None and cached[0] == credentials:
                return cached[1]
            built = CloudClients.from_settings(
                self.settings, region, retry=self.retry, credentials=credentials, limits=self.limits,
                account=account.alias,
            )
            self._clients[key] = (credentials, built)
            return built

    def credentials(self, account: Account) -> CloudCredentials:
        """The bot's own credentials, or the account's role's temporary ones (AssumeRole, cached)."""
        if account.role_arn is None:
            return self._own
        with self._lock:
            role = self._roles.get(account.alias)
            if role is None:
                role_arn = account.role_arn
                role = self._roles[account.alias] = AssumedRoleCredentials(
                    lambda: self._sts().assume_role(role_arn)
                )
        return role.get()

    def _sts(self) -> StsClient:
        endpoint = parse_override(self.settings.endpoints.sts) or PUBLIC_STS_ENDPOINT
        return StsClient(AcsTransport(
            service="sts", region=self.settings.region, credentials=self._own, endpoint=endpoint, retry=self.retry,
        ))
