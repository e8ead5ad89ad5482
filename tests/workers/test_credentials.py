"""Which credential form the cloud clients use, from the standard Alibaba Cloud variables.

The instance-role form cannot be exercised against the sandbox (its SDKs fetch credentials from the
fixed metadata address 100.100.100.200), so these tests pin down the choice itself; the AccessKey and STS
forms are proven over the wire in test_cloud_clients.py.
"""

from __future__ import annotations

import oss2
import pytest
from aliyunsdkcore.auth.credentials import AccessKeyCredential, EcsRamRoleCredential, StsTokenCredential

from workers.cloud.credentials import CloudCredentials
from workers.config import ConfigError, Settings


def _credentials(**env: str) -> CloudCredentials:
    return CloudCredentials.from_settings(Settings.from_env(env))


def test_instance_role_is_used_when_no_key_is_set() -> None:
    credentials = _credentials(ALIBABA_CLOUD_ECS_METADATA="ackmigrate-bot")
    sdk = credentials.for_aliyunsdkcore()
    assert isinstance(sdk, EcsRamRoleCredential) and sdk.role_name == "ackmigrate-bot"
    assert isinstance(credentials.for_oss2(v4=True), oss2.ProviderAuthV4)
    assert "ackmigrate-bot" in repr(credentials)


def test_an_access_key_wins_over_the_instance_role() -> None:
    credentials = _credentials(ALIBABA_CLOUD_ECS_METADATA="ackmigrate-bot", ALIBABA_CLOUD_ACCESS_KEY_ID="LTAIkey",
                               ALIBABA_CLOUD_ACCESS_KEY_SECRET="secret-value")
    assert isinstance(credentials.for_aliyunsdkcore(), AccessKeyCredential)
    assert "secret-value" not in repr(credentials)


def test_sts_token_makes_temporary_credentials() -> None:
    credentials = _credentials(ALIBABA_CLOUD_ACCESS_KEY_ID="STS.key", ALIBABA_CLOUD_ACCESS_KEY_SECRET="secret",
                               ALIBABA_CLOUD_SECURITY_TOKEN="token-value")
    assert isinstance(credentials.for_aliyunsdkcore(), StsTokenCredential)
    assert isinstance(credentials.for_oss2(v4=True), oss2.StsAuth)
    assert "token-value" not in repr(credentials)


def test_no_credentials_at_all_names_the_variable_to_set() -> None:
    with pytest.raises(ConfigError, match="ALIBABA_CLOUD_ACCESS_KEY_ID is not set"):
        _credentials()


def test_half_a_key_pair_is_refused_even_with_a_role() -> None:
    with pytest.raises(ConfigError, match="ALIBABA_CLOUD_ACCESS_KEY_SECRET is not set"):
        _credentials(ALIBABA_CLOUD_ECS_METADATA="ackmigrate-bot", ALIBABA_CLOUD_ACCESS_KEY_ID="LTAIkey")
