"""ACK (Container Service, API 2015-12-15, ROA): clusters, nodes, kubeconfigs, migration tasks, checks.

aliyun-python-sdk-cs request classes where they exist; CommonRequest for the actions that 4.8.1 lacks
(DescribeClustersForRegion, MigrateCluster, DescribeTaskInfo, DescribeClusterTasks, RunClusterCheck,
GetClusterCheck, ListClusterChecks). Old masters are released through ECS (workers.cloud.ecs), not
DeleteClusterNodes: after the migration they are no longer cluster members, and `release_node` cannot
release subscription instances.

The two old cluster-listing APIs are decommissioned (ACK's "Announcement on ACK API parameter changes
and deprecation", https://www.alibabacloud.com/help/en/ack/product-overview/announcement-on-ack-openapi-parameter-changes-and-deprecation):
clusters are listed with DescribeClustersForRegion only. The same announcement drops deprecated fields from
DescribeClusterDetail; `_cluster_detail` reads none of them (docker_version, external_loadbalancer_id,
network_mode, vswitch_id).
"""

from __future__ import annotations

import re
from typing import Any

from aliyunsdkcore.request import CommonRequest
from aliyunsdkcs.request.v20151215.DescribeClusterDetailRequest import DescribeClusterDetailRequest
from aliyunsdkcs.request.v20151215.DescribeClusterNodesRequest import DescribeClusterNodesRequest
from aliyunsdkcs.request.v20151215.DescribeClusterResourcesRequest import DescribeClusterResourcesRequest
from aliyunsdkcs.request.v20151215.DescribeClusterUserKubeconfigRequest import (
    DescribeClusterUserKubeconfigRequest,
)

from workers.cloud.acs import AcsTransport
from workers.cloud.models import (
    ClusterCheckItem,
    ClusterCheckRun,
    ClusterDetail,
    ClusterNode,
    ClusterResource,
    ClusterSummary,
    ClusterTask,
    Kubeconfig,
    LoadBalancerRef,
    StartedTask,
    TaskInfo,
    TaskStage,
    UserQuota,
)
from workers.errors import Conflict, NotFound

SERVICE = "ack"
LIST_ACTION = "DescribeClustersForRegion"
API_VERSION = "2015-12-15"
_PAGE_SIZE = 100
_CLUSTER_ID_RE = re.compile(r"^c[0-9a-z]{16,}$")


def is_cluster_id(text: str) -> bool:
    """Whether `text` has the shape of an ACK cluster id (`c` and 16+ lower-case letters or digits)."""
    return bool(_CLUSTER_ID_RE.match(text))


class AckClient:
    """The ACK calls ackmigrate makes, each returning plain values (workers.cloud.models)."""

    def __init__(self, transport: AcsTransport) -> None:
        self._transport = transport
        self.region = transport.region

    def resolve_cluster(self, id_or_name: str) -> ClusterDetail:
        """Accept what an operator types: a cluster id, or a name that must match exactly one cluster."""
        if is_cluster_id(id_or_name):
            try:
                return self.describe_cluster(id_or_name)
            except NotFound:
                pass  # a name may look like an id; the name lookup below reports what exists
        found = self.list_clusters(name=id_or_name)
        exact = [cluster for cluster in found if cluster.name == id_or_name]
        if len(exact) == 1:
            return self.describe_cluster(exact[0].cluster_id)
        if len(exact) > 1:
            raise Conflict(
                service=SERVICE,
                action=LIST_ACTION,
                code="AmbiguousClusterName",
                message=f"{len(exact)} clusters are named {id_or_name!r}: {_listing(exact)}; use the cluster id",
            )
        # ACK's name filter is fuzzy, so `found` may hold near misses; when it holds nothing, the operator
        # still needs to see what does exist here (a typo, or the wrong region).
        if found:
            seen = f"; similar names: {_listing(found)}"
        else:
            existing = self.list_clusters()
            seen = f"; clusters there: {_listing(existing)}" if existing else "; there are no clusters there"
        raise NotFound(
            service=SERVICE,
            action=LIST_ACTION,
            code="ClusterNotFound",
            message=f"no cluster with id or name {id_or_name!r} in {self.region}{seen}",
        )

    def describe_cluster(self, cluster_id: str) -> ClusterDetail:
        def build() -> DescribeClusterDetailRequest:
            request = DescribeClusterDetailRequest()
            request.set_ClusterId(cluster_id)
            return request

        return _cluster_detail(self._transport.call(build, action="DescribeClusterDetail"))

    def list_clusters(
        self, *, name: str | None = None, cluster_type: str | None = None
    ) -> list[ClusterSummary]:
        """All pages of DescribeClustersForRegion (`GET /regions/{region_id}/clusters`; query names as in
        alibabacloud_cs20151215.models.DescribeClustersForRegionRequest; `name` matches fuzzily there)."""
        clusters: list[ClusterSummary] = []
        page = 1
        while True:

            def build(page: int = page) -> CommonRequest:
                request = self._roa(
                    "DescribeClustersForRegion", "GET", "/regions/[RegionId]/clusters", RegionId=self.region
                )
                if name:
                    request.add_query_param("name", name)
                if cluster_type:
                    request.add_query_param("cluster_type", cluster_type)
                request.add_query_param("page_number", str(page))
                request.add_query_param("page_size", str(_PAGE_SIZE))
                return request

            body = self._transport.call(build, action="DescribeClustersForRegion")
            rows = body.get("clusters") or []
            clusters.extend(_cluster_summary(row) for row in rows)
            total = int((body.get("page_info") or {}).get("total_count") or 0)
            if not rows or len(clusters) >= total:
                return clusters
            page += 1

    def list_nodes(self, cluster_id: str) -> list[ClusterNode]:
        nodes: list[ClusterNode] = []
        page = 1
        while True:

            def build(page: int = page) -> DescribeClusterNodesRequest:
                request = DescribeClusterNodesRequest()
                request.set_ClusterId(cluster_id)
                request.set_pageNumber(page)
                request.set_pageSize(_PAGE_SIZE)
                return request

            body = self._transport.call(build, action="DescribeClusterNodes")
            rows = body.get("nodes") or []
            nodes.extend(_cluster_node(row) for row in rows)
            total = int((body.get("page") or {}).get("total_count") or 0)
            if not rows or len(nodes) >= total:
                return nodes
            page += 1

    def list_resources(self, cluster_id: str) -> list[ClusterResource]:
        def build() -> DescribeClusterResourcesRequest:
            request = DescribeClusterResourcesRequest()
            request.set_ClusterId(cluster_id)
            return request

        body = self._transport.call(build, action="DescribeClusterResources")
        return [_cluster_resource(row) for row in body or []]

    def user_kubeconfig(self, cluster_id: str, *, private: bool = False) -> Kubeconfig:
        def build() -> DescribeClusterUserKubeconfigRequest:
            request = DescribeClusterUserKubeconfigRequest()
            request.set_ClusterId(cluster_id)
            request.set_PrivateIpAddress("true" if private else "false")
            return request

        body = self._transport.call(build, action="DescribeClusterUserKubeconfig")
        return Kubeconfig(config=str(body.get("config") or ""), expiration=str(body.get("expiration") or ""))

    def migrate_cluster(self, cluster_id: str, *, bucket: str, bucket_endpoint: str) -> StartedTask:
        """Start the dedicated → Pro migration. Not retried on timeouts: it must never start twice."""

        def build() -> CommonRequest:
            request = self._roa(
                "MigrateCluster", "POST", "/clusters/[ClusterId]/migrate", ClusterId=cluster_id
            )
            _json_body(request, {"oss_bucket_name": bucket, "oss_bucket_endpoint": bucket_endpoint})
            return request

        body = self._transport.call(build, action="MigrateCluster", idempotent=False)
        return _started_task(body)

    def describe_task(self, task_id: str) -> TaskInfo:
        def build() -> CommonRequest:
            return self._roa("DescribeTaskInfo", "GET", "/tasks/[TaskId]", TaskId=task_id)

        return _task_info(self._transport.call(build, action="DescribeTaskInfo"))

    def list_cluster_tasks(self, cluster_id: str) -> list[ClusterTask]:
        def build() -> CommonRequest:
            request = self._roa(
                "DescribeClusterTasks", "GET", "/clusters/[ClusterId]/tasks", ClusterId=cluster_id
            )
            request.add_query_param("page_size", str(_PAGE_SIZE))
            request.add_query_param("page_number", "1")
            return request

        body = self._transport.call(build, action="DescribeClusterTasks")
        return [_cluster_task(row) for row in body.get("tasks") or []]

    def run_cluster_check(self, cluster_id: str, *, check_type: str = "ClusterMigrate") -> str:
        """Start ACK's own check (RunClusterCheck, `POST /clusters/{id}/checks`); returns its check_id.
        Running a check changes nothing in the cluster, so a retry is harmless."""

        def build() -> CommonRequest:
            request = self._roa("RunClusterCheck", "POST", "/clusters/[ClusterId]/checks", ClusterId=cluster_id)
            _json_body(request, {"type": check_type})
            return request

        body = self._transport.call(build, action="RunClusterCheck")
        return _text(body, "check_id")

    def get_cluster_check(self, cluster_id: str, check_id: str) -> ClusterCheckRun:
        """GetClusterCheck (`GET /clusters/{id}/checks/{check_id}`): status, message and check_items."""

        def build() -> CommonRequest:
            return self._roa(
                "GetClusterCheck", "GET", "/clusters/[ClusterId]/checks/[CheckId]", ClusterId=cluster_id,
                CheckId=check_id,
            )

        return _check_run(self._transport.call(build, action="GetClusterCheck"))

    def list_cluster_checks(self, cluster_id: str, *, check_type: str = "ClusterMigrate") -> list[ClusterCheckRun]:
        """ListClusterChecks (`GET /clusters/{id}/checks?type=`): the checks run so far, without items."""

        def build() -> CommonRequest:
            request = self._roa("ListClusterChecks", "GET", "/clusters/[ClusterId]/checks", ClusterId=cluster_id)
            request.add_query_param("type", check_type)
            return request

        body = self._transport.call(build, action="ListClusterChecks")
        return [_check_run(row) for row in body.get("checks") or []]

    def user_quota(self) -> UserQuota:
        """DescribeUserQuota (`GET /quota`, no parameters; https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/developer-reference/api-cs-2015-12-15-describeuserquota,
        alibabacloud_cs20151215.models.DescribeUserQuotaResponseBody). `amk_cluster_quota` is the managed
        cluster quota, `cluster_quota` the account's total. The newer `quotas` map is keyed by quota codes
        the doc does not tie to these two, so it is not read; a missing number is None, not a guess."""
        body = self._transport.call(lambda: self._roa("DescribeUserQuota", "GET", "/quota"), action="DescribeUserQuota")
        return UserQuota(managed_clusters=_int_or_none(body.get("amk_cluster_quota")),
                         clusters=_int_or_none(body.get("cluster_quota")))

    def _roa(self, action: str, method: str, pattern: str, **path: str) -> CommonRequest:
        request = CommonRequest(version=API_VERSION, action_name=action, uri_pattern=pattern, product="CS")
        request.set_method(method)
        for key, value in path.items():
            request.add_path_param(key, value)
        return request


def _json_body(request: CommonRequest, body: dict[str, Any]) -> None:
    # Without the header aliyunsdkcore form-encodes body params; ACK expects JSON.
    request.add_header("Content-Type", "application/json")
    for key, value in body.items():
        request.add_body_params(key, value)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _listing(clusters: list[ClusterSummary]) -> str:
    shown = ", ".join(f"{c.name} ({c.cluster_id}, {c.region_id})" for c in clusters[:10])
    more = f" and {len(clusters) - 10} more" if len(clusters) > 10 else ""
    return shown + more


def _text(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None else str(value)


def _cluster_summary(row: dict[str, Any]) -> ClusterSummary:
    return ClusterSummary(
        cluster_id=_text(row, "cluster_id"),
        name=_text(row, "name"),
        region_id=_text(row, "region_id"),
        cluster_type=_text(row, "cluster_type"),
        cluster_spec=_text(row, "cluster_spec"),
        state=_text(row, "state"),
        current_version=_text(row, "current_version"),
    )


def _cluster_detail(body: dict[str, Any]) -> ClusterDetail:
    endpoints = (body.get("control_plane_endpoints_config") or {}).get("load_balancers_config") or []
    parameters = body.get("parameters") or {}
    return ClusterDetail(
        cluster_id=_text(body, "cluster_id"),
        name=_text(body, "name"),
        region_id=_text(body, "region_id"),
        cluster_type=_text(body, "cluster_type"),
        cluster_spec=_text(body, "cluster_spec"),
        profile=_text(body, "profile"),
        state=_text(body, "state"),
        current_version=_text(body, "current_version"),
        vpc_id=_text(body, "vpc_id"),
        master_url=_text(body, "master_url"),
        # In the detail's official model (DescribeClusterDetailResponseBody.timezone, "The time zone");
        # absent or empty when none was set.
        timezone=_text(body, "timezone"),
        parameters={str(k): "" if v is None else str(v) for k, v in parameters.items()},
        api_server_load_balancers=tuple(
            LoadBalancerRef(
                load_balancer_id=_text(lb, "load_balancer_id"),
                endpoint_type=_text(lb, "endpoint_type"),
                endpoint=_text(lb, "endpoint"),
            )
            for lb in endpoints
        ),
    )


def _cluster_node(row: dict[str, Any]) -> ClusterNode:
    return ClusterNode(
        instance_id=_text(row, "instance_id"),
        node_name=_text(row, "node_name"),
        role=_text(row, "instance_role"),
        node_status=_text(row, "node_status"),
        state=_text(row, "state"),
        charge_type=_text(row, "instance_charge_type"),
        ip_addresses=tuple(str(ip) for ip in row.get("ip_address") or []),
    )


def _cluster_resource(row: dict[str, Any]) -> ClusterResource:
    return ClusterResource(
        instance_id=_text(row, "instance_id"),
        resource_type=_text(row, "resource_type"),
        resource_info=_text(row, "resource_info"),
        state=_text(row, "state"),
        auto_create=bool(row.get("auto_create")),
    )


def _started_task(body: dict[str, Any]) -> StartedTask:
    return StartedTask(task_id=_text(body, "task_id"), request_id=_text(body, "request_id"))


def _task_info(body: dict[str, Any]) -> TaskInfo:
    error = body.get("error") or {}
    return TaskInfo(
        task_id=_text(body, "task_id"),
        task_type=_text(body, "task_type"),
        state=_text(body, "state"),
        current_stage=_text(body, "current_stage"),
        stages=tuple(
            TaskStage(
                state=_text(stage, "state"),
                message=_text(stage, "message"),
                start_time=_text(stage, "start_time"),
                end_time=_text(stage, "end_time"),
            )
            for stage in body.get("stages") or []
        ),
        error_code=_text(error, "code"),
        error_message=_text(error, "message"),
        created=_text(body, "created"),
        updated=_text(body, "updated"),
    )


def _cluster_task(row: dict[str, Any]) -> ClusterTask:
    error = row.get("error") or {}
    return ClusterTask(
        task_id=_text(row, "task_id"),
        task_type=_text(row, "task_type"),
        state=_text(row, "state"),
        created=_text(row, "created"),
        updated=_text(row, "updated"),
        error_code=_text(error, "code") if isinstance(error, dict) else "",
        error_message=_text(error, "message") if isinstance(error, dict) else str(error),
    )


def _check_run(body: dict[str, Any]) -> ClusterCheckRun:
    """GetClusterCheck / a ListClusterChecks row. `check_items` is typed `Dict[str, List[Dict[str, Any]]]`
    in the official model (category → items) and the item fields are not documented, so each item keeps
    whichever of name/status/message it has, and its whole text for anything else."""
    items: list[ClusterCheckItem] = []
    raw = body.get("check_items") or {}
    groups = raw.items() if isinstance(raw, dict) else [("", raw)]
    for category, rows in groups:
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, dict):
                continue
            items.append(
                ClusterCheckItem(
                    category=str(category),
                    name=_first(row, "name", "item", "key", "check_item") or str(category),
                    status=_first(row, "status", "result", "state", "level"),
                    message=_first(row, "message", "msg", "description", "reason"),
                )
            )
    return ClusterCheckRun(
        check_id=_text(body, "check_id"),
        check_type=_text(body, "type"),
        status=_text(body, "status"),
        message=_text(body, "message"),
        created_at=_text(body, "created_at"),
        finished_at=_text(body, "finished_at"),
        items=tuple(items),
    )


def _first(row: dict[str, Any], *keys: str) -> str:
    return next((str(row[key]) for key in keys if row.get(key) not in (None, "")), "")
