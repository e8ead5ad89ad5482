"""Cloud clients: one narrow class per service, the only code in the project that imports a cloud SDK.

`CloudClients.from_settings(settings)` builds them all for one region; the Kubernetes client is per
cluster, built from the kubeconfig ACK hands out (`kube_for`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from workers.cloud.ack import AckClient
from workers.cloud.acs import AcsTransport
from workers.cloud.credentials import CloudCredentials
from workers.cloud.ecs import EcsClient
from workers.cloud.endpoints import parse_override, public_ack_endpoint
from workers.cloud.kube import KubeClient
from workers.cloud.limits import CallLimits
from workers.cloud.oss import OssClient
from workers.cloud.ram import RamClient
from workers.cloud.retry import RetryPolicy
from workers.cloud.slb import SlbClient
from workers.config import Settings

__all__ = [
    "AckClient",
    "CloudClients",
    "CloudCredentials",
    "EcsClient",
    "KubeClient",
    "OssClient",
    "RamClient",
    "RetryPolicy",
    "SlbClient",
]


@dataclass(frozen=True)
class CloudClients:
    """Every client for one region, sharing credentials and retry policy; safe to use from threads."""

    region: str
    ack: AckClient
    ecs: EcsClient
    slb: SlbClient
    ram: RamClient
    oss: OssClient
    retry: RetryPolicy
    kubeconfig_private: bool

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        region: str | None = None,
        *,
        retry: RetryPolicy | None = None,
        credentials: CloudCredentials | None = None,
        limits: CallLimits | None = None,
        account: str = "",
    ) -> CloudClients:
        """`limits` caps the calls in flight per (account, service, region) lane (a fleet's plan shares one
        CallLimits across its clients); without it calls are not capped."""
        region = region or settings.region
        retry = retry or RetryPolicy()
        credentials = credentials or CloudCredentials.from_settings(settings)
        endpoints = settings.endpoints

        def transport(service: str, url: str | None) -> AcsTransport:
            endpoint = parse_override(url)
            if endpoint is None and service == "ack":
                endpoint = public_ack_endpoint(region)
            return AcsTransport(
                service=service, region=region, credentials=credentials, endpoint=endpoint, retry=retry,
                slot=slot(service),
            )

        def slot(service: str) -> threading.BoundedSemaphore | None:
            return limits.slot(account=account, service=service, region=region) if limits else None

        return cls(
            region=region,
            ack=AckClient(transport("ack", endpoints.ack)),
            ecs=EcsClient(transport("ecs", endpoints.ecs)),
            slb=SlbClient(transport("slb", endpoints.slb)),
            ram=RamClient(transport("ram", endpoints.ram)),
            oss=OssClient(
                region=region, credentials=credentials, endpoint=parse_override(endpoints.oss), retry=retry,
                slot=slot("oss"),
            ),
            retry=retry,
            kubeconfig_private=settings.kubeconfig_private,
        )

    def kube_for(self, cluster_id: str) -> KubeClient:
        """A client for the cluster's API server, public or internal endpoint as the settings say."""
        kubeconfig = self.ack.user_kubeconfig(cluster_id, private=self.kubeconfig_private)
        return KubeClient(kubeconfig=kubeconfig.config, retry=self.retry)
