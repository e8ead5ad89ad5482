"""ACKMIGRATE_ACCOUNTS and ACKMIGRATE_REGIONS: read once at start, refused with one line naming the variable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workers.accounts import OWN_ACCOUNT, Account
from workers.cloud.credentials import CloudCredentials
from workers.cloud.sts import AssumedRoleCredentials, TemporaryCredentials
from workers.config import ConfigError, Settings

ROLE = "acs:ram::1234567890123456:role/ackmigrate"


def test_no_accounts_means_the_bots_own_credentials_in_every_configured_region() -> None:
    settings = Settings.from_env({"ACKMIGRATE_REGION": "cn-beijing", "ACKMIGRATE_REGIONS": "cn-hangzhou, cn-beijing"})
    assert settings.regions == ("cn-hangzhou", "cn-beijing")
    assert settings.accounts == (Account(alias=OWN_ACCOUNT, role_arn=None, regions=("cn-hangzhou", "cn-beijing")),)


def test_regions_default_to_the_region() -> None:
    assert Settings.from_env({"ACKMIGRATE_REGION": "cn-shanghai"}).regions == ("cn-shanghai",)


def test_inline_json_names_accounts_with_roles_regions_and_buckets() -> None:
    value = json.dumps({
        "main": {"regions": ["cn-hangzhou"]},
        "b": {"role_arn": ROLE, "regions": ["cn-beijing", "cn-shanghai"], "buckets": {"cn-beijing": "b-stage"}},
        "c": {"role_arn": "acs:ram::2234567890123456:role/ackmigrate"},
    })
    settings = Settings.from_env({"ACKMIGRATE_REGIONS": "cn-hangzhou,cn-qingdao", "ACKMIGRATE_ACCOUNTS": value})
    main, b, c = settings.accounts
    assert (main.alias, main.role_arn, main.regions) == ("main", None, ("cn-hangzhou",))
    assert b.account_id == "1234567890123456" and b.bucket_for("cn-beijing") == "b-stage"
    assert b.bucket_for("cn-shanghai") is None
    assert c.regions == ("cn-hangzhou", "cn-qingdao")  # an account without regions spans the fleet's


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_a_yaml_or_json_file_is_read(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"accounts.{suffix}"
    path.write_text(
        f"prod:\n  role_arn: {ROLE}\n  regions: [cn-hangzhou]\n" if suffix == "yaml"
        else json.dumps({"prod": {"role_arn": ROLE, "regions": ["cn-hangzhou"]}})
    )
    (prod,) = Settings.from_env({"ACKMIGRATE_ACCOUNTS": str(path)}).accounts
    assert (prod.alias, prod.role_arn, prod.regions) == ("prod", ROLE, ("cn-hangzhou",))


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"ACKMIGRATE_REGIONS": "cn-hangzhou,Hangzhou"}, "ACKMIGRATE_REGIONS must list region ids"),
        ({"ACKMIGRATE_ACCOUNTS": "/no/such/accounts.yaml"}, "ACKMIGRATE_ACCOUNTS must be inline JSON or the path"),
        ({"ACKMIGRATE_ACCOUNTS": "{not json"}, "ACKMIGRATE_ACCOUNTS is not valid JSON"),
        ({"ACKMIGRATE_ACCOUNTS": "{}"}, "ACKMIGRATE_ACCOUNTS must map at least one alias"),
        ({"ACKMIGRATE_ACCOUNTS": '{"b": {"role_arn": "arn:aws:iam::1:role/x"}}'}, "b: role_arn must look like"),
        ({"ACKMIGRATE_ACCOUNTS": '{"B/x": {}}'}, "alias 'B/x' must be lower-case"),
        ({"ACKMIGRATE_ACCOUNTS": '{"b": {"regions": []}}'}, "b: regions must be a non-empty list"),
        ({"ACKMIGRATE_ACCOUNTS": '{"b": {"region": ["cn-hangzhou"]}}'}, "b: unknown field(s) region"),
        ({"ACKMIGRATE_ACCOUNTS": '{"b": {"regions": ["cn-hangzhou"], "buckets": {"cn-beijing": "x"}}}'},
         "b: a bucket is named for cn-beijing, which is not among its regions"),
        ({"ACKMIGRATE_CLOUD_CONCURRENCY": "0"}, "ACKMIGRATE_CLOUD_CONCURRENCY must be a whole number from 1 to 64"),
        ({"ACKMIGRATE_STS_ENDPOINT": "sts.aliyuncs.com"}, "ACKMIGRATE_STS_ENDPOINT must be a URL with scheme"),
    ],
)
def test_a_malformed_fleet_setting_stops_the_process_naming_the_variable(env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    assert says in str(raised.value)
    assert "\n" not in str(raised.value)


def test_temporary_credentials_are_kept_until_shortly_before_they_expire() -> None:
    now = [1000.0]
    issued: list[int] = []

    def assume() -> TemporaryCredentials:
        issued.append(1)
        n = len(issued)
        return TemporaryCredentials(CloudCredentials(f"STS.{n}", "s", "t"), expires_at=now[0] + 3600)

    role = AssumedRoleCredentials(assume, clock=lambda: now[0], margin_s=300)
    assert role.get().access_key_id == "STS.1"
    now[0] += 3000  # 600 s left: still good
    assert role.get().access_key_id == "STS.1"
    now[0] += 301  # 299 s left: inside the margin, asked again
    assert role.get().access_key_id == "STS.2"
    assert len(issued) == 2
