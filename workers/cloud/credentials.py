"""The Alibaba Cloud credential forms a deployment uses, turned into what each SDK expects.

Supported: an AccessKey pair, an STS token with its temporary pair, and the RAM role of the ECS instance
the worker runs on (ALIBABA_CLOUD_ECS_METADATA, the standard variable naming it: aliyunsdkcore's
EcsRamRoleCredential and oss2's EcsRamRoleCredentialsProvider fetch and refresh its STS credentials from
the instance metadata service at 100.100.100.200, so no key is stored anywhere).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import oss2
from aliyunsdkcore.auth.credentials import AccessKeyCredential, EcsRamRoleCredential, StsTokenCredential
from oss2.credentials import EcsRamRoleCredentialsProvider

from workers.config import ConfigError, Settings


@dataclass(frozen=True)
class CloudCredentials:
    """One credential, whichever form; repr never shows the secret or the token."""

    access_key_id: str | None = None
    access_key_secret: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)
    ecs_ram_role: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> CloudCredentials:
        """The pair (and token) from the standard ALIBABA_CLOUD_* variables; refuse half a pair.

        An AccessKey pair wins over the instance's role: an operator who sets one means it."""
        if settings.ecs_ram_role and not (settings.access_key_id or settings.access_key_secret):
            return cls(ecs_ram_role=settings.ecs_ram_role)
        settings.require("access_key_id", "access_key_secret")
        return cls(
            access_key_id=settings.access_key_id,
            access_key_secret=settings.access_key_secret,
            security_token=settings.security_token,
        )

    def for_aliyunsdkcore(self) -> Any:
        if self.ecs_ram_role:
            return EcsRamRoleCredential(self.ecs_ram_role)
        key_id, secret = self._pair()
        if self.security_token:
            return StsTokenCredential(key_id, secret, self.security_token)
        return AccessKeyCredential(key_id, secret)

    def for_oss2(self, *, v4: bool) -> Any:
        """oss2 signs V4 when the region is known (the current OSS recommendation), V1 otherwise."""
        if self.ecs_ram_role:
            provider = EcsRamRoleCredentialsProvider(
                f"http://100.100.100.200/latest/meta-data/ram/security-credentials/{self.ecs_ram_role}"
            )
            return oss2.ProviderAuthV4(provider) if v4 else oss2.ProviderAuth(provider)
        key_id, secret = self._pair()
        if self.security_token:
            version = oss2.AUTH_VERSION_4 if v4 else oss2.AUTH_VERSION_1
            return oss2.StsAuth(key_id, secret, self.security_token, auth_version=version)
        return oss2.AuthV4(key_id, secret) if v4 else oss2.Auth(key_id, secret)

    def _pair(self) -> tuple[str, str]:
        if not self.access_key_id or not self.access_key_secret:
            raise ConfigError(
                "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET must both be set"
            )
        return self.access_key_id, self.access_key_secret
