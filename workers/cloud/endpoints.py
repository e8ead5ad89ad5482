"""Where each service is reached: an operator's override (sandbox, VPC endpoint) or the public one."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class ApiEndpoint:
    """An endpoint split the way the SDKs want it: protocol apart from host[:port]."""

    protocol: str
    host: str

    @property
    def url(self) -> str:
        return f"{self.protocol}://{self.host}"


def parse_override(url: str | None) -> ApiEndpoint | None:
    """Turn `http://127.0.0.1:8701` (Settings keeps overrides as full URLs) into protocol and host."""
    if url is None:
        return None
    parts = urlsplit(url)
    return ApiEndpoint(protocol=parts.scheme, host=parts.netloc)


def public_ack_endpoint(region: str) -> ApiEndpoint:
    """ACK's regional endpoint (CommonRequest needs a domain; the SDK's table has no entry for CS)."""
    return ApiEndpoint(protocol="https", host=f"cs.{region}.aliyuncs.com")


def public_oss_endpoint(region: str) -> ApiEndpoint:
    return ApiEndpoint(protocol="https", host=f"oss-{region}.aliyuncs.com")
