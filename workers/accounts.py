"""The Alibaba Cloud accounts a fleet spans, as ACKMIGRATE_ACCOUNTS names them.

An operator with clusters in several accounts gives each an alias and the RAM role ARN the bot assumes
there (STS AssumeRole with the bot's own credentials); optionally the regions to look at and the OSS
bucket to stage each region's migrations in. An account without a role ARN is the bot's own credentials.
With no accounts configured, the bot's own credentials are the one account, under the alias `default`.

The value is a path to a YAML or JSON file, or inline JSON (it starts with `{`):

    {"main": {"regions": ["cn-hangzhou"]},
     "b": {"role_arn": "acs:ram::1234567890123456:role/ackmigrate",
           "regions": ["cn-beijing"], "buckets": {"cn-beijing": "b-staging"}}}

Pure: no cloud call here. Mistakes raise AccountsError; config.py words them as a ConfigError naming
the variable, so a misspelt file stops the process at start, not in front of users.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

OWN_ACCOUNT = "default"
"""The alias of the bot's own credentials when no accounts are configured."""

ROLE_ARN_RE = re.compile(r"^acs:ram::(\d{10,20}):role/[A-Za-z0-9.@_-]{1,64}$")
"""`acs:ram::<account_id>:role/<role_name>` (alibabacloud_sts20150401 AssumeRoleRequest.role_arn)."""

_ALIAS_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")  # no "/": `alias/name` qualifies a cluster name
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z0-9]+)+$")
_FIELDS = {"role_arn", "regions", "buckets"}


class AccountsError(ValueError):
    """ACKMIGRATE_ACCOUNTS is malformed; the message says where and what is expected."""


@dataclass(frozen=True)
class Account:
    """One account of the fleet: how to reach it, and where to look in it."""

    alias: str
    role_arn: str | None  # None: the bot's own credentials
    regions: tuple[str, ...]
    buckets: tuple[tuple[str, str], ...] = ()  # (region, bucket) pairs

    @property
    def account_id(self) -> str | None:
        """The account id the role ARN names (None for the bot's own credentials)."""
        match = ROLE_ARN_RE.match(self.role_arn or "")
        return match.group(1) if match else None

    def bucket_for(self, region: str) -> str | None:
        return dict(self.buckets).get(region)


def own_account(regions: tuple[str, ...]) -> Account:
    """The fleet when nothing is configured: the bot's own credentials, in every configured region."""
    return Account(alias=OWN_ACCOUNT, role_arn=None, regions=regions)


def parse_accounts(value: str | None, *, default_regions: tuple[str, ...]) -> tuple[Account, ...]:
    """Read ACKMIGRATE_ACCOUNTS (a file path or inline JSON); an empty value means the bot's own account."""
    if value is None or not value.strip():
        return (own_account(default_regions),)
    raw = _load(value.strip())
    if not isinstance(raw, dict) or not raw:
        raise AccountsError("must map at least one alias to an account object")
    return tuple(_account(str(alias), spec, default_regions) for alias, spec in raw.items())


def _load(value: str) -> Any:
    if value.startswith("{"):
        try:
            return json.loads(value)
        except ValueError as error:
            raise AccountsError(f"is not valid JSON: {error}") from None
    path = Path(value)
    if not path.is_file():
        raise AccountsError(f"must be inline JSON or the path of a YAML/JSON file; no file at {value!r}")
    try:
        return yaml.safe_load(path.read_text())  # YAML is a superset of JSON: one parser reads both
    except yaml.YAMLError as error:
        raise AccountsError(f"{value}: not valid YAML/JSON: {error}") from None


def _account(alias: str, spec: Any, default_regions: tuple[str, ...]) -> Account:
    if not _ALIAS_RE.match(alias):
        raise AccountsError(f"alias {alias!r} must be lower-case letters, digits, '-' or '_' (at most 32)")
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        raise AccountsError(f"{alias}: must be an object with role_arn, regions, buckets")
    unknown = sorted(set(spec) - _FIELDS)
    if unknown:
        raise AccountsError(f"{alias}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(_FIELDS))}")
    role_arn = spec.get("role_arn")
    if role_arn is not None and (not isinstance(role_arn, str) or not ROLE_ARN_RE.match(role_arn)):
        raise AccountsError(f"{alias}: role_arn must look like acs:ram::1234567890123456:role/NAME (got {role_arn!r})")
    regions = spec.get("regions")
    if regions is None:
        regions = list(default_regions)
    if not isinstance(regions, list) or not regions or not all(isinstance(r, str) for r in regions):
        raise AccountsError(f"{alias}: regions must be a non-empty list of region ids")
    for region in regions:
        if not _REGION_RE.match(region):
            raise AccountsError(f"{alias}: {region!r} is not a region id like cn-hangzhou")
    buckets = spec.get("buckets") or {}
    if not isinstance(buckets, dict) or not all(isinstance(b, str) for b in buckets.values()):
        raise AccountsError(f"{alias}: buckets must map a region id to a bucket name")
    for region in buckets:
        if region not in regions:
            raise AccountsError(f"{alias}: a bucket is named for {region}, which is not among its regions")
    return Account(
        alias=alias,
        role_arn=role_arn,
        regions=tuple(dict.fromkeys(regions)),
        buckets=tuple(sorted((str(r), str(b)) for r, b in buckets.items())),
    )
