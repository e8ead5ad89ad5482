"""The sandbox's accounts: each a separate world of clusters, buckets and RAM roles.

The sandbox's own credentials belong to MAIN_ACCOUNT_ID. `POST /_sandbox/accounts` adds another account and
a RAM role in it (`acs:ram::<account_id>:role/ackmigrate`); the only way into that account is STS AssumeRole
of that role, whose temporary credentials belong to it. Every service answers a call with what the signing
credential's account holds: the verifier records it here (`set_caller_account`), per request thread, and
the services filter their lookups by `caller_account()`.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass

MAIN_ACCOUNT_ID = "1688000000000001"
"""The account of the sandbox's own AccessKey (and the OSS owner id of its buckets)."""

MAIN_ALIAS = "main"
ROLE_NAME = "ackmigrate"
_ACCOUNT_ID_RE = re.compile(r"^\d{16}$")
_ALIAS_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")

_caller: ContextVar[str] = ContextVar("sandbox_caller_account", default=MAIN_ACCOUNT_ID)


@dataclass(frozen=True)
class SandboxAccount:
    account_id: str
    alias: str

    @property
    def role_arn(self) -> str:
        return f"acs:ram::{self.account_id}:role/{ROLE_NAME}"


def valid_account_id(text: str) -> bool:
    return bool(_ACCOUNT_ID_RE.match(text))


def valid_alias(text: str) -> bool:
    return bool(_ALIAS_RE.match(text))


def set_caller_account(account_id: str) -> None:
    _caller.set(account_id)


def caller_account() -> str:
    """The account of the credential that signed the request this thread is answering."""
    return _caller.get()
