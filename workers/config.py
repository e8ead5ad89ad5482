"""Settings, read once from the environment (and an optional `.env` file).

Every process (bot, worker, CLI) builds one `Settings` at start. A missing or malformed value stops the
process with one line naming the variable, because a bot that starts half-configured fails later, in
front of users, with a far less useful message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from workers.accounts import Account, AccountsError, own_account, parse_accounts
from workers.domain.risk import DEFAULT_NONPROD_PATTERNS

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_REDIS_URL = "redis://localhost:6379/0"

_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z0-9]+)+$")
_SLACK_PRINCIPAL_RE = re.compile(r"^[US][A-Z0-9]{2,}$")
_CHANNEL_RE = re.compile(r"^[CGD][A-Z0-9]{2,}$")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable and what is expected."""


@dataclass(frozen=True)
class Endpoints:
    """Endpoint overrides (full URLs with scheme); None means the public regional endpoint."""

    ack: str | None = None
    ecs: str | None = None
    slb: str | None = None
    ram: str | None = None
    oss: str | None = None
    sts: str | None = None


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the defaults the README's Configuration table promises operators."""

    region: str = "cn-hangzhou"
    access_key_id: str | None = None
    access_key_secret: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)
    ecs_ram_role: str | None = None  # the RAM role of the ECS instance we run on (ALIBABA_CLOUD_ECS_METADATA)
    endpoints: Endpoints = Endpoints()
    regions: tuple[str, ...] = ("cn-hangzhou",)  # the regions the fleet spans (ACKMIGRATE_REGIONS)
    accounts: tuple[Account, ...] = (own_account(("cn-hangzhou",)),)
    cloud_concurrency: int = 8  # calls in flight per account, service and region (ACKMIGRATE_CLOUD_CONCURRENCY)

    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    slack_posts_per_minute: float = 60.0  # per channel, shared by every worker (workers.slack_pace)

    redis_url: str = DEFAULT_REDIS_URL
    # Redis through Sentinel: (host, port) of each sentinel and the name of the master they watch. When
    # set, the master is found through them (and found again after a failover); REDIS_URL then only
    # supplies the database number and the password.
    redis_sentinels: tuple[tuple[str, int], ...] = ()
    redis_sentinel_master: str | None = None

    approvers: tuple[str, ...] = ()
    requesters: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    two_person_rule: bool = True
    approval_ttl_s: int = 3600
    approvals_required: int = 1  # distinct approvers a migration needs
    cleanup_approvals_required: int = 1  # the same for a cleanup (defaults to the migration's count)
    wave_approvals_required: int = 2  # the same for a wave: many clusters at once, so two people by default
    expected_migration_s: float = 1800.0  # a wave starts a migration only with this much left in its window
    nonprod_patterns: tuple[str, ...] = DEFAULT_NONPROD_PATTERNS  # names ranked first in a wave (globs)
    poll_interval_s: float = 15.0
    migration_timeout_s: int = 7200
    grant_ram_policy: bool = False
    kubeconfig_private: bool = False
    canary_image: str | None = None  # None: ACK's pause image for the cluster's region (workers.verification)
    canary_timeout_s: float = 90.0  # how long the post-migration canary pod may take to run
    automate_terway: bool = False  # do the doc's terway steps around the migration (workers.terway_steps)

    min_k8s_version: str = "1.18"
    advised_k8s_version: str = "1.18"
    min_slb_spec: str = "slb.s1.small"
    ack_check_timeout_s: float = 180.0
    audit_retention_days: int = 366

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings; raise ConfigError naming the first bad variable."""
        env = dict(os.environ if environ is None else environ)
        region = _region(env, "ACKMIGRATE_REGION", "cn-hangzhou")
        regions = _regions(env, "ACKMIGRATE_REGIONS", default=region)
        return cls(
            region=region,
            regions=regions,
            accounts=_accounts(env, "ACKMIGRATE_ACCOUNTS", regions),
            cloud_concurrency=_positive_int(env, "ACKMIGRATE_CLOUD_CONCURRENCY", 8, maximum=64),
            access_key_id=_opt(env, "ALIBABA_CLOUD_ACCESS_KEY_ID"),
            access_key_secret=_opt(env, "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
            security_token=_opt(env, "ALIBABA_CLOUD_SECURITY_TOKEN"),
            ecs_ram_role=_opt(env, "ALIBABA_CLOUD_ECS_METADATA"),
            endpoints=Endpoints(
                ack=_url(env, "ACKMIGRATE_ACK_ENDPOINT"),
                ecs=_url(env, "ACKMIGRATE_ECS_ENDPOINT"),
                slb=_url(env, "ACKMIGRATE_SLB_ENDPOINT"),
                ram=_url(env, "ACKMIGRATE_RAM_ENDPOINT"),
                oss=_url(env, "ACKMIGRATE_OSS_ENDPOINT"),
                sts=_url(env, "ACKMIGRATE_STS_ENDPOINT"),
            ),
            slack_bot_token=_opt(env, "SLACK_BOT_TOKEN"),
            slack_signing_secret=_opt(env, "SLACK_SIGNING_SECRET"),
            slack_app_token=_opt(env, "SLACK_APP_TOKEN"),
            slack_api_url=_url(env, "SLACK_API_URL") or DEFAULT_SLACK_API_URL,
            slack_posts_per_minute=number_setting(env, "ACKMIGRATE_SLACK_POSTS_PER_MINUTE", 60.0, minimum=1.0),
            redis_url=_redis_url(env),
            redis_sentinels=_sentinels(env),
            redis_sentinel_master=_sentinel_master(env),
            approvers=_principals(env, "ACKMIGRATE_APPROVERS"),
            requesters=_principals(env, "ACKMIGRATE_REQUESTERS"),
            channels=_channels(env, "ACKMIGRATE_CHANNELS"),
            two_person_rule=_bool(env, "ACKMIGRATE_TWO_PERSON_RULE", True),
            approval_ttl_s=int(number_setting(env, "ACKMIGRATE_APPROVAL_TTL", 3600, minimum=1)),
            **_approval_counts(env),
            expected_migration_s=_minutes(env, "ACKMIGRATE_EXPECTED_MIGRATION_MINUTES", 30),
            nonprod_patterns=_patterns(env, "ACKMIGRATE_NONPROD_PATTERNS", DEFAULT_NONPROD_PATTERNS),
            poll_interval_s=number_setting(env, "ACKMIGRATE_POLL_INTERVAL", 15.0, minimum=0.05),
            migration_timeout_s=int(number_setting(env, "ACKMIGRATE_MIGRATION_TIMEOUT", 7200, minimum=1)),
            grant_ram_policy=_bool(env, "ACKMIGRATE_GRANT_RAM_POLICY", False),
            kubeconfig_private=_bool(env, "ACKMIGRATE_KUBECONFIG_PRIVATE", False),
            canary_image=_opt(env, "ACKMIGRATE_CANARY_IMAGE"),
            canary_timeout_s=_canary_timeout(env),
            automate_terway=_bool(env, "ACKMIGRATE_AUTOMATE_TERWAY", False),
            min_k8s_version=_version(env, "ACKMIGRATE_MIN_K8S_VERSION", "1.18"),
            advised_k8s_version=_version(env, "ACKMIGRATE_ADVISED_K8S_VERSION", "1.18"),
            min_slb_spec=_opt(env, "ACKMIGRATE_MIN_SLB_SPEC") or "slb.s1.small",
            ack_check_timeout_s=number_setting(env, "ACKMIGRATE_ACK_CHECK_TIMEOUT", 180.0, minimum=0.1),
            audit_retention_days=int(number_setting(env, "ACKMIGRATE_AUDIT_RETENTION_DAYS", 366, minimum=1)),
        )

    def require(self, *names: str) -> None:
        """Fail with one clear line when a process needs a credential that is not set."""
        env_names = {
            "slack_bot_token": "SLACK_BOT_TOKEN",
            "slack_signing_secret": "SLACK_SIGNING_SECRET",
            "slack_app_token": "SLACK_APP_TOKEN",
            "access_key_id": "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "access_key_secret": "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        }
        for name in names:
            if not getattr(self, name):
                raise ConfigError(f"{env_names.get(name, name)} is not set")


def load_dotenv(path: str | Path = ".env", environ: dict[str, str] | None = None) -> None:
    """Fill unset variables from a KEY=VALUE file; variables already set win (the operator's override)."""
    target = os.environ if environ is None else environ
    file = Path(path)
    if not file.is_file():
        return
    for number, raw in enumerate(file.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, sep, value = line.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ConfigError(f"{file}:{number}: expected KEY=VALUE, got {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        target.setdefault(key.strip(), value)


def _opt(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _url(env: Mapping[str, str], name: str) -> str | None:
    value = _opt(env, name)
    if value is None:
        return None
    if not re.match(r"^https?://[^/\s]+", value):
        raise ConfigError(f"{name} must be a URL with scheme, like http://127.0.0.1:8701 (got {value!r})")
    return value


def _redis_url(env: Mapping[str, str]) -> str:
    value = _opt(env, "REDIS_URL") or DEFAULT_REDIS_URL
    if not re.match(r"^(redis|rediss|unix)://", value):
        raise ConfigError(f"REDIS_URL must start with redis://, rediss:// or unix:// (got {value!r})")
    return value


def _sentinels(env: Mapping[str, str]) -> tuple[tuple[str, int], ...]:
    sentinels = []
    for value in _split(env, "REDIS_SENTINELS"):
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(
                f"REDIS_SENTINELS must list sentinels as host:port, comma-separated (got {value!r})"
            )
        sentinels.append((host.strip("[]"), int(port)))
    return tuple(sentinels)


def _sentinel_master(env: Mapping[str, str]) -> str | None:
    master = _opt(env, "REDIS_SENTINEL_MASTER")
    if _split(env, "REDIS_SENTINELS") and master is None:
        raise ConfigError("REDIS_SENTINEL_MASTER must name the master the sentinels watch (e.g. mymaster)")
    if master is not None and not _split(env, "REDIS_SENTINELS"):
        raise ConfigError("REDIS_SENTINEL_MASTER is set but REDIS_SENTINELS lists no sentinel (host:port,…)")
    return master


def _region(env: Mapping[str, str], name: str, default: str) -> str:
    value = _opt(env, name) or default
    if not _REGION_RE.match(value):
        raise ConfigError(f"{name} must be a region id like cn-hangzhou (got {value!r})")
    return value


def _regions(env: Mapping[str, str], name: str, *, default: str) -> tuple[str, ...]:
    values = _split(env, name) or [default]
    for value in values:
        if not _REGION_RE.match(value):
            raise ConfigError(f"{name} must list region ids like cn-hangzhou, comma-separated (got {value!r})")
    return tuple(dict.fromkeys(values))


def _positive_int(env: Mapping[str, str], name: str, default: int, *, maximum: int) -> int:
    value = _opt(env, name)
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        raise ConfigError(f"{name} must be a whole number from 1 to {maximum} (got {value!r})")
    return int(value)


def _accounts(env: Mapping[str, str], name: str, regions: tuple[str, ...]) -> tuple[Account, ...]:
    try:
        return parse_accounts(_opt(env, name), default_regions=regions)
    except AccountsError as error:
        raise ConfigError(f"{name} {error}") from None


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = _opt(env, name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false (got {value!r})")


def number_setting(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    """A number of seconds (or days) from the environment; ConfigError names the variable when it is bad."""
    value = _opt(env, name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds (got {value!r})") from None
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum:g} (got {value!r})")
    return number


def _canary_timeout(env: Mapping[str, str]) -> float:
    """The canary's wait runs inside one RQ job (180 s by default), with the other checks around it."""
    seconds = number_setting(env, "ACKMIGRATE_CANARY_TIMEOUT", 90.0, minimum=1.0)
    if seconds > 150:
        raise ConfigError(f"ACKMIGRATE_CANARY_TIMEOUT must be at most 150 seconds (got {seconds:g})")
    return seconds


def _version(env: Mapping[str, str], name: str, default: str) -> str:
    value = _opt(env, name) or default
    if not re.match(r"^\d+\.\d+$", value):
        raise ConfigError(f"{name} must be a Kubernetes minor version like 1.18 (got {value!r})")
    return value


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    value = _opt(env, name)
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= 10:
        raise ConfigError(f"{name} must be a whole number of approvers from 1 to 10 (got {value!r})")
    return int(value)


def _approval_counts(env: Mapping[str, str]) -> dict[str, int]:
    """How many distinct approvers each request needs; more than the named approvers is refused at start.

    With only user ids in ACKMIGRATE_APPROVERS (no group that could grow), asking for more approvals
    than there are people who may give them, less the requester under the two-person rule, would
    leave every request waiting until it expires.
    """
    migration = _count(env, "ACKMIGRATE_APPROVALS_REQUIRED", 1)
    counts = {"approvals_required": migration,
              "cleanup_approvals_required": _count(env, "ACKMIGRATE_CLEANUP_APPROVALS_REQUIRED", migration),
              "wave_approvals_required": _count(env, "ACKMIGRATE_WAVE_APPROVALS_REQUIRED", 2)}
    checked = [("ACKMIGRATE_APPROVALS_REQUIRED", migration),
               ("ACKMIGRATE_CLEANUP_APPROVALS_REQUIRED", counts["cleanup_approvals_required"])]
    # The wave count is checked only when set: its default of 2 must not stop a bot with one approver
    # that runs no waves (a wave request then says it cannot be approved; see README, Waves).
    if _opt(env, "ACKMIGRATE_WAVE_APPROVALS_REQUIRED") is not None:
        checked.append(("ACKMIGRATE_WAVE_APPROVALS_REQUIRED", counts["wave_approvals_required"]))
    approvers = _principals(env, "ACKMIGRATE_APPROVERS")
    if approvers and not any(a.startswith("S") for a in approvers):
        for name, needed in checked:
            if needed > len(approvers):
                raise ConfigError(f"{name} is {needed} but ACKMIGRATE_APPROVERS names only {len(approvers)} "
                                  "people and no user group: no request could ever be approved")
    return counts


def _minutes(env: Mapping[str, str], name: str, default: int) -> float:
    """A whole number of minutes (1 to a day), returned in seconds."""
    value = _opt(env, name)
    if value is None:
        return default * 60.0
    if not value.isdigit() or not 1 <= int(value) <= 1440:
        raise ConfigError(f"{name} must be a whole number of minutes from 1 to 1440 (got {value!r})")
    return int(value) * 60.0


_PATTERN_RE = re.compile(r"^[A-Za-z0-9_\-*?\[\]\u4e00-\u9fff]+$")


def _patterns(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """Comma-separated name globs; set but empty (`""` or `,`) means none: every cluster is production."""
    if name not in env:
        return default
    values = _split(env, name)
    for value in values:
        if not _PATTERN_RE.match(value):
            raise ConfigError(f"{name} must list cluster-name globs like *dev*,*test*, comma-separated "
                              f"(got {value!r})")
    return tuple(values)


def _split(env: Mapping[str, str], name: str) -> list[str]:
    return [part.strip() for part in env.get(name, "").split(",") if part.strip()]


def _principals(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    values = _split(env, name)
    for value in values:
        if not _SLACK_PRINCIPAL_RE.match(value):
            raise ConfigError(
                f"{name} must list Slack user ids (U…) and user-group ids (S…), comma-separated (got {value!r})"
            )
    return tuple(values)


def _channels(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    values = _split(env, name)
    for value in values:
        if not _CHANNEL_RE.match(value):
            raise ConfigError(f"{name} must list Slack channel ids (C…/G…), comma-separated (got {value!r})")
    return tuple(values)
