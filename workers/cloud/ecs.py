"""ECS (API 2014-05-26): Cloud Assistant on the master instances, and releasing the old masters.

Releasing follows ECS DeleteInstances
(https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-deleteinstances): it
releases pay-as-you-go instances (and expired subscription ones); `InstanceId.N` up to 100, `Force=true`
for instances still Running, `DryRun=true` checks the request (permissions, parameters, instance state)
without releasing anything and answers with an error code that means "would have succeeded". The
DeleteInstances doc and the official `alibabacloud_ecs20140526.DeleteInstancesRequest` call that code
`DRYRUN.SUCCESS`; most other ECS dry runs answer `DryRunOperation`. Both mean the dry run passed. A
subscription instance still in its term is refused with `ChargeTypeViolation` (HTTP 403, "You cannot
release an in service subscribed instance", https://www.alibabacloud.com/help/doc-detail/25507.htm).
"""

from __future__ import annotations

import json
from typing import Any

from workers.cloud.acs import AcsTransport
from workers.cloud.models import CloudAssistantStatus, EcsInstance
from workers.cloud.rpc import rpc_call
from workers.errors import CloudError

SERVICE = "ecs"
API_VERSION = "2014-05-26"
_IDS_PER_CALL = 50
_IDS_PER_DESCRIBE = 100  # DescribeInstances' InstanceIds and DeleteInstances' InstanceId.N take at most 100
DRY_RUN_PASSED = frozenset({"DRYRUN.SUCCESS", "DryRunOperation"})


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
            body = self._call("DescribeCloudAssistantStatus", params)
            rows = (body.get("InstanceCloudAssistantStatusSet") or {}).get(
                "InstanceCloudAssistantStatus"
            ) or []
            statuses.extend(_status(row) for row in rows)
        return statuses

    def describe_instances(self, instance_ids: list[str]) -> list[EcsInstance]:
        """The instances ECS still has, with their billing; an id ECS does not list has been released."""
        found: list[EcsInstance] = []
        for start in range(0, len(instance_ids), _IDS_PER_DESCRIBE):
            chunk = instance_ids[start : start + _IDS_PER_DESCRIBE]
            params = {"RegionId": self.region, "InstanceIds": json.dumps(chunk), "PageSize": str(_IDS_PER_DESCRIBE)}
            body = self._call("DescribeInstances", params)
            rows = (body.get("Instances") or {}).get("Instance") or []
            found.extend(
                EcsInstance(
                    instance_id=str(row.get("InstanceId") or ""),
                    charge_type=str(row.get("InstanceChargeType") or ""),
                    status=str(row.get("Status") or ""),
                    expired_time=str(row.get("ExpiredTime") or ""),
                )
                for row in rows
            )
        return found

    def check_release(self, instance_ids: list[str]) -> None:
        """DeleteInstances with DryRun=true: returns when ECS says the release would go through, raises
        the CloudError ECS answered otherwise (ChargeTypeViolation, Forbidden, …)."""
        try:
            self._call("DeleteInstances", self._delete_params(instance_ids, dry_run=True, client_token=""))
        except CloudError as error:
            if error.code in DRY_RUN_PASSED:
                return
            raise
        # ECS answers a dry run with an error code; a 200 means it did not read the request as a dry run.
        raise CloudError(service=SERVICE, action="DeleteInstances", code="DryRunIgnored",
                         message="ECS answered the dry run of DeleteInstances with success instead of DRYRUN.SUCCESS")

    def release(self, instance_ids: list[str], *, client_token: str) -> str:
        """DeleteInstances for real (Force: the old masters may still be running); returns the request id.
        The client token makes a retried call with the same token a no-op on ECS's side."""
        body = self._call(
            "DeleteInstances", self._delete_params(instance_ids, dry_run=False, client_token=client_token),
            idempotent=False,
        )
        return str(body.get("RequestId") or "")

    def _delete_params(self, instance_ids: list[str], *, dry_run: bool, client_token: str) -> dict[str, str]:
        if not 1 <= len(instance_ids) <= _IDS_PER_DESCRIBE:
            raise ValueError(f"DeleteInstances takes 1 to {_IDS_PER_DESCRIBE} instances, not {len(instance_ids)}")
        params = {"RegionId": self.region, "DryRun": "true" if dry_run else "false", "Force": "true"}
        if client_token:
            params["ClientToken"] = client_token
        params.update({f"InstanceId.{n}": instance_id for n, instance_id in enumerate(instance_ids, 1)})
        return params

    def _call(self, action: str, params: dict[str, str], *, idempotent: bool = True) -> dict[str, Any]:
        return rpc_call(self._transport, product="Ecs", version=API_VERSION, action=action, params=params,
                        idempotent=idempotent)


def _status(row: dict[str, Any]) -> CloudAssistantStatus:
    return CloudAssistantStatus(
        instance_id=str(row.get("InstanceId") or ""),
        # ECS returns the flag as the strings "true"/"false".
        installed=str(row.get("CloudAssistantStatus")).lower() == "true",
        version=str(row.get("CloudAssistantVersion") or ""),
        last_heartbeat=str(row.get("LastHeartbeatTime") or ""),
    )
