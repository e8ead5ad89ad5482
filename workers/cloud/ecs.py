"""ECS (API 2014-05-26): whether the Cloud Assistant client runs on the master instances."""

from __future__ import annotations

from typing import Any

from workers.cloud.acs import AcsTransport
from workers.cloud.models import CloudAssistantStatus
from workers.cloud.rpc import rpc_request

SERVICE = "ecs"
API_VERSION = "2014-05-26"
_IDS_PER_CALL = 50


class EcsClient:
    def __init__(self, transport: AcsTransport) -> None:
        self._transport = transport
        self.region = transport.region

    def cloud_assistant_status(self, instance_ids: list[str]) -> list[CloudAssistantStatus]:
        """One status per instance asked about (ECS caps InstanceId.N, so large lists go in chunks)."""
        statuses: list[CloudAssistantStatus] = []
        for start in range(0, len(instance_ids), _IDS_PER_CALL):
            chunk = instance_ids[start : start + _IDS_PER_CALL]
            params = {"RegionId": self.region, "PageSize": str(_IDS_PER_CALL)}
            params.update({f"InstanceId.{n}": instance_id for n, instance_id in enumerate(chunk, 1)})
            body = self._transport.call(
                lambda params=params: rpc_request(
                    product="Ecs", version=API_VERSION, action="DescribeCloudAssistantStatus", params=params
                ),
                action="DescribeCloudAssistantStatus",
            )
            rows = (body.get("InstanceCloudAssistantStatusSet") or {}).get(
                "InstanceCloudAssistantStatus"
            ) or []
            statuses.extend(_status(row) for row in rows)
        return statuses


def _status(row: dict[str, Any]) -> CloudAssistantStatus:
    return CloudAssistantStatus(
        instance_id=str(row.get("InstanceId") or ""),
        # ECS returns the flag as the strings "true"/"false".
        installed=str(row.get("CloudAssistantStatus")).lower() == "true",
        version=str(row.get("CloudAssistantVersion") or ""),
        last_heartbeat=str(row.get("LastHeartbeatTime") or ""),
    )
