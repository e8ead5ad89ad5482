"""STS (API 2015-04-01, RPC): AssumeRole, for the accounts of a fleet the bot reaches through a RAM role.

AssumeRole (https://www.alibabacloud.com/help/en/ram/developer-reference/api-sts-2015-04-01-assumerole;
official model alibabacloud_sts20150401.models.AssumeRoleRequest / AssumeRoleResponseBody): query
`RoleArn` (`acs:ram::<account_id>:role/<name>`), `RoleSessionName` (2–64 of `[\\w.@-]`), `DurationSeconds`
(900 to the role's MaxSessionDuration, default 3600); the answer is `Credentials{AccessKeyId,
AccessKeySecret, SecurityToken, Expiration}` (Expiration in UTC, `2015-04-09T11:52:19Z`) and
`AssumedRoleUser{Arn, AssumedRoleId}`. A role that does not exist or does not trust the caller answers
`NoPermission` ("No permission perform sts:AssumeRole on this Role", STS's common errors:
https://www.alibabacloud.com/help/en/oss/how-to-handle-the-common-errors-when-you-access-oss-by-using-sts),
which workers.errors reads as Forbidden.

`AssumedRoleCredentials` keeps the temporary credentials until shortly before they expire, so a plan over
hundreds of clusters asks STS once per account, not once per call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from workers.cloud.acs import AcsTransport
from workers.cloud.credentials import CloudCredentials
from workers.cloud.rpc import rpc_call

SERVICE = "sts"
API_VERSION = "2015-04-01"
SESSION_NAME = "ackmigrate"
DURATION_S = 3600  # the documented default, and the most every role allows without raising MaxSessionDuration
REFRESH_MARGIN_S = 300  # ask again this long before expiry: a call signed just before it must still land


@dataclass(frozen=True)
class TemporaryCredentials:
    credentials: CloudCredentials
    expires_at: float  # epoch seconds


class StsClient:
    def __init__(self, transport: AcsTransport) -> None:
        self._transport = transport

    def assume_role(self, role_arn: str, *, session_name: str = SESSION_NAME,
                    duration_s: int = DURATION_S) -> TemporaryCredentials:
        params = {"RoleArn": role_arn, "RoleSessionName": session_name, "DurationSeconds": str(duration_s)}
        body = rpc_call(self._transport, product="Sts", version=API_VERSION, action="AssumeRole", params=params)
        granted = body.get("Credentials") or {}
        return TemporaryCredentials(
            credentials=CloudCredentials(
                access_key_id=str(granted.get("AccessKeyId") or ""),
                access_key_secret=str(granted.get("AccessKeySecret") or ""),
                security_token=str(granted.get("SecurityToken") or ""),
            ),
            expires_at=_expiration(str(granted.get("Expiration") or ""), fallback_s=duration_s),
        )


class AssumedRoleCredentials:
    """One role's temporary credentials, asked for again only when they are about to expire; thread-safe."""

    def __init__(self, assume: Callable[[], TemporaryCredentials], *,
                 clock: Callable[[], float] = time.time, margin_s: float = REFRESH_MARGIN_S) -> None:
        self._assume = assume
        self._clock = clock
        self._margin_s = margin_s
        self._lock = threading.Lock()
        self._current: TemporaryCredentials | None = None

    def get(self) -> CloudCredentials:
        with self._lock:  # one AssumeRole at a time: the threads of a plan would otherwise all ask at once
            if self._current is None or self._clock() >= self._current.expires_at - self._margin_s:
                self._current = self._assume()
            return self._current.credentials


def _expiration(text: str, *, fallback_s: int) -> float:
    """`2015-04-09T11:52:19Z` → epoch seconds; an unreadable value counts from now (tolerant of formats
    the doc does not show)."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return time.time() + fallback_s
