"""Who is in a Slack user group (`S…`), asked of Slack at most once a minute per group.

ACKMIGRATE_APPROVERS and ACKMIGRATE_REQUESTERS may name user groups, so people join and leave the
approvers in Slack rather than in a redeploy. A decision (approve, reject, cancel) asks Slack afresh
(`fresh=True`): someone removed from the approvers must not approve an irreversible migration from a
cache. Everything else (who may request) is served from a short in-process cache, because asking Slack
on every command would spend its rate limit (usergroups.users.list is Tier 2) for no safety gained.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

DEFAULT_TTL_S = 60.0


class GroupLookupFailed(Exception):
    """Slack could not say who is in a group; the decision that needed it cannot be made now."""

    def __init__(self, group: str, detail: str) -> None:
        self.group = group
        self.detail = detail
        super().__init__(f"could not list the members of user group {group}: {detail}")


class GroupMembers:
    """`members(groups)`: everyone in any of the groups, from a cache refreshed every `ttl_s` seconds."""

    def __init__(
        self, client: WebClient, *, ttl_s: float = DEFAULT_TTL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def members(self, groups: Iterable[str], *, fresh: bool = False) -> frozenset[str]:
        """Everyone in any of the groups; `fresh` asks Slack now (and refreshes the cache)."""
        found: set[str] = set()
        for group in sorted(set(groups)):
            found |= self._group(group, fresh=fresh)
        return frozenset(found)

    def _group(self, group: str, *, fresh: bool) -> frozenset[str]:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(group)
        if not fresh and cached is not None and cached[0] > now:
            return cached[1]
        users = self._fetch(group)
        with self._lock:
            self._cache[group] = (now + self._ttl_s, users)
        return users

    def _fetch(self, group: str) -> frozenset[str]:
        try:
            response = self._client.usergroups_users_list(usergroup=group)
        except SlackApiError as error:
            raise GroupLookupFailed(group, str(error.response.get("error", "error"))) from error
        except SlackClientError as error:
            raise GroupLookupFailed(group, str(error)) from error
        users = response.get("users") or []
        return frozenset(str(user) for user in users)
