"""Simulated ACK (Container Service, API 2015-12-15): ROA paths, JSON bodies and errors as the real API.

Both SDK generations must work against it unchanged: aliyunsdkcore (ROA HMAC-SHA1, the aliyun-python-sdk-cs
request classes and CommonRequest) and alibabacloud-cs20151215 (ACS3-HMAC-SHA256).

Two error shapes, as in front of the real service: a refused signature or AccessKey is answered by the POP
gateway, `{RequestId, HostId, Code, Message, Recommend}`; everything ACK itself refuses is its own
lower-case `{"code", "message", "requestId"}`, which aliyunsdkcore cannot read and reports as
SDK.UnknownServerError with the body in the message — exactly what production code has to cope with.

MigrateCluster's refusals (no public list exists; these are the codes the sandbox commits to):
unknown cluster 404 ErrorClusterNotFound; account not whitelisted 403 Forbidden.NotInWhitelist; cluster
not dedicated 400 ErrorClusterType; migrating or not running 400 ErrorClusterState; bucket missing 400
ErrorOssBucketNotFound, in another region 400 ErrorOssBucketRegion; endpoint of another region 400
InvalidParameter.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from sandbox.accounts import caller_account
from sandbox.httpserver import ApiError, Request, Response, Route, new_request_id
from sandbox.kube_tls import certificate_authority_data
from sandbox.signing import AuthFailure, pop_auth_error, pop_error_body, verify_acs
from sandbox.world import Cluster, ClusterCheck, Node, Task, World, iso

_PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("GET", r"/api/v1/clusters", "DescribeClustersV1"),
    ("GET", r"/clusters", "DescribeClusters"),
    ("GET", r"/regions/(?P<region_id>[^/]+)/clusters", "DescribeClustersForRegion"),
    ("GET", r"/clusters/(?P<cluster_id>[^/]+)", "DescribeClusterDetail"),
    ("POST", r"/clusters/(?P<cluster_id>[^/]+)/checks", "RunClusterCheck"),
    ("GET", r"/clusters/(?P<cluster_id>[^/]+)/checks", "ListClusterChecks"),
    ("GET", r"/clusters/(?P<cluster_id>[^/]+)/checks/(?P<check_id>[^/]+)", "GetClusterCheck"),
    ("GET", r"/clusters/(?P<cluster_id>[^/]+)/nodes", "DescribeClusterNodes"),
    ("POST", r"/clusters/(?P<cluster_id>[^/]+)/nodes", "DeleteClusterNodes"),
    ("GET", r"/clusters/(?P<cluster_id>[^/]+)/resources", "DescribeClusterResources"),
    ("GET", r"/k8s/(?P<cluster_id>[^/]+)/user_config", "DescribeClusterUserKubeconfig"),
    ("POST", r"/clusters/(?P<cluster_id>[^/]+)/migrate", "MigrateCluster"),
    ("GET", r"/clusters/(?P<cluster_id>[^/]+)/tasks", "DescribeClusterTasks"),
    ("GET", r"/tasks/(?P<task_id>[^/]+)", "DescribeTaskInfo"),
    ("GET", r"/quota", "DescribeUserQuota"),
)
"""(method, path, action): every ACK API the sandbox serves; anything else is answered 404."""

_MIGRATABLE_STATES = ("running",)

ANNOUNCEMENT = (
    "https://www.alibabacloud.com/help/en/ack/product-overview/announcement-on-ack-openapi-parameter-changes-and-deprecation"
)
RETIRED_ACTIONS: dict[str, str] = {
    "DescribeClustersV1": "DescribeClustersForRegion (GET /regions/{region_id}/clusters)",
    "DescribeClusters": "DescribeClustersForRegion (GET /regions/{region_id}/clusters)",
}
"""Decommissioned by ACK (regional rollout 2026-07-04 to 2026-09-30, see ANNOUNCEMENT) → their replacement.
They are still routed, so that a call to them is logged and answered as a retired API answers."""

DEPRECATED_DETAIL_FIELDS = ("docker_version", "external_loadbalancer_id", "network_mode", "vswitch_id")
"""DescribeClusterDetail fields the API reference marks deprecated (alibabacloud_cs20151215's model: vswitch_id
"[Deprecated]"; the DescribeClusterDetail page: docker_version, external_loadbalancer_id, network_mode), which
the announcement says the response no longer returns. The sandbox omits them and the bot reads none of them."""

CHECK_TYPES = ("ClusterMigrate", "ClusterUpgrade", "MasterUpgrade", "NodePoolUpgrade")


class GatewayError(ApiError):
    """Refused by the POP gateway before ACK saw the call (credentials): answered in the gateway's shape."""


class AckService:
    """The ACK endpoint. The control API shares its port but is answered before this service sees a call."""

    name = "ack"

    def __init__(self, world: World) -> None:
        self.world = world
        self._routes = [(method, re.compile(pattern + r"/?"), action) for method, pattern, action in _PATTERNS]

    # --- the Service protocol -------------------------------------------------------------------------

    def route(self, request: Request) -> Route | None:
        path = unquote(request.path)
        for method, pattern, action in self._routes:
            match = pattern.fullmatch(path)
            if match and request.method == method:
                handler: Callable[..., Response] = getattr(self, "_" + _snake(action))
                params = match.groupdict()
                return Route(action, functools.partial(handler, **params), params)
        return None

    def authenticate(self, request: Request, route: Route) -> None:
        try:
            verify_acs(self.world, request)
        except AuthFailure as failure:
            status, code, message = pop_auth_error(failure)
            raise GatewayError(status, code, message) from None

    def error(self, request: Request, error: ApiError, request_id: str) -> Response:
        if isinstance(error, GatewayError):
            body = pop_error_body(
                code=error.code, message=error.message, request_id=request_id, host_id="cs.aliyuncs.com", product="CS"
            )
            return Response.json(body, status=error.status, headers={"x-acs-request-id": request_id})
        return Response.json(
            {"code": error.code, "message": error.message, "requestId": request_id},
            status=error.status,
            headers={"x-acs-request-id": request_id},
        )

    # --- lookups ---------------------------------------------------------------------------------------

    def _cluster(self, cluster_id: str) -> Cluster:
        cluster = self.world.cluster(cluster_id, account=caller_account())  # another account's is not found
        if cluster is None:
            raise ApiError(404, "ErrorClusterNotFound", f"cluster {cluster_id} not found")
        return cluster

    # --- clusters ----------------------------------------------------------------------------------------

    def _describe_cluster_detail(self, request: Request, cluster_id: str) -> Response:
        with self.world.lock:
            return Response.json(cluster_detail(self.world, self._cluster(cluster_id)))

    def _describe_clusters_v1(self, request: Request) -> Response:
        raise _retired("DescribeClustersV1")

    def _describe_clusters(self, request: Request) -> Response:
        raise _retired("DescribeClusters")

    def _describe_clusters_for_region(self, request: Request, region_id: str) -> Response:
        """Filters as alibabacloud_cs20151215.models.DescribeClustersForRegionRequest: `name` matches fuzzily
        (its docstring: "cluster name for fuzzy match"), the others exactly."""
        name = request.arg("name") or ""
        exact = {key: request.arg(key) for key in ("cluster_type", "cluster_spec", "profile", "cluster_id")}
        page_number = _positive_int(request, "page_number", 1)
        page_size = min(_positive_int(request, "page_size", 10), 100)
        with self.world.lock:
            matching = [
                c
                for c in sorted(self.world.clusters.values(), key=lambda c: c.created)
                if c.region_id == region_id
                and c.account == caller_account()
                and name.lower() in c.name.lower()
                and all(not wanted or getattr(c, key) == wanted for key, wanted in exact.items())
            ]
            page = matching[(page_number - 1) * page_size : page_number * page_size]
            body = {
                "clusters": [cluster_row(self.world, c) for c in page],
                "page_info": {"page_number": page_number, "page_size": page_size, "total_count": len(matching)},
            }
        return Response.json(body)

    # --- ACK's own checks (RunClusterCheck / GetClusterCheck / ListClusterChecks) ---------------------------

    def _run_cluster_check(self, request: Request, cluster_id: str) -> Response:
        check_type = str(_body(request).get("type") or "")
        if check_type not in CHECK_TYPES:
            raise ApiError(400, "InvalidParameter", f"type must be one of {', '.join(CHECK_TYPES)}")
        with self.world.lock:
            check = self.world.run_cluster_check(self._cluster(cluster_id), check_type=check_type)
        return Response.json({"request_id": new_request_id(), "check_id": check.check_id})

    def _get_cluster_check(self, request: Request, cluster_id: str, check_id: str) -> Response:
        with self.world.lock:
            check = self.world.checks.get(check_id)
            if check is None or check.cluster_id != cluster_id or self.world.cluster(cluster_id, account=caller_account()) is None:
                raise ApiError(404, "ErrorCheckNotFound", f"check {check_id} not found in cluster {cluster_id}")
            return Response.json(check_body(check, finished=check.finished(self.world.speed), with_items=True))

    def _list_cluster_checks(self, request: Request, cluster_id: str) -> Response:
        wanted = request.arg("type")
        with self.world.lock:
            self._cluster(cluster_id)
            checks = [
                check_body(c, finished=c.finished(self.world.speed), with_items=False)
                for c in sorted(self.world.checks.values(), key=lambda c: c.created)
                if c.cluster_id == cluster_id and (not wanted or c.check_type == wanted)
            ]
        return Response.json({"checks": checks})

    def _describe_cluster_nodes(self, request: Request, cluster_id: str) -> Response:
        page_number = _positive_int(request, "pageNumber", 1)
        page_size = min(_positive_int(request, "pageSize", 10), 100)
        with self.world.lock:
            cluster = self._cluster(cluster_id)
            nodes = [n for n in cluster.nodes if n.in_cluster and not n.released]
            page = nodes[(page_number - 1) * page_size : page_number * page_size]
            body = {
                "nodes": [_node(cluster, n) for n in page],
                "page": {"page_number": page_number, "page_size": page_size, "total_count": len(nodes)},
            }
        return Response.json(body)

    def _describe_cluster_resources(self, request: Request, cluster_id: str) -> Response:
        with self.world.lock:
            return Response.json(_resources(self.world, self._cluster(cluster_id)))

    def _describe_cluster_user_kubeconfig(self, request: Request, cluster_id: str) -> Response:
        minutes = _positive_int(request, "TemporaryDurationMinutes", 0)
        if minutes and not 15 <= minutes <= 4320:
            raise ApiError(400, "InvalidParameter", "TemporaryDurationMinutes must be between 15 and 4320")
        with self.world.lock:
            cluster = self._cluster(cluster_id)
            server = f"{self.world.endpoints.get('kubernetes', '')}/clusters/{cluster.api_path or cluster.cluster_id}"
            expiration = iso(time.time() + (minutes * 60 if minutes else 3 * 365 * 86400))
            return Response.json({"config": kubeconfig(cluster, server), "expiration": expiration})

    # --- migration and tasks -------------------------------------------------------------------------------

    def _migrate_cluster(self, request: Request, cluster_id: str) -> Response:
        body = _body(request)
        bucket_name = str(body.get("oss_bucket_name") or "")
        bucket_endpoint = str(body.get("oss_bucket_endpoint") or "")
        if not bucket_name or not bucket_endpoint:
            raise ApiError(400, "InvalidParameter", "oss_bucket_name and oss_bucket_endpoint are required")
        with self.world.lock:
            cluster = self._cluster(cluster_id)
            _refuse_migration(self.world, cluster, bucket_name, bucket_endpoint)
            task = self.world.start_migration(cluster, bucket=bucket_name, bucket_endpoint=bucket_endpoint)
            if not master_role_grants_bucket(self.world, cluster, bucket_name):
                # The masters upload etcd's backup with their own RAM role: without the grant the real
                # migration fails at the backup stage, which is why the bot checks and grants it first.
                task.fail_at_stage = 2
                task.failure = {
                    "code": "BackupEtcdFailed",
                    "message": (
                        f"the master RAM role {cluster.master_role} may not write to oss://{bucket_name}/: "
                        f"grant oss:PutObject and oss:GetObject on acs:oss:*:*:{bucket_name}/* and retry"
                    ),
                }
        return Response.json({"cluster_id": cluster.cluster_id, "request_id": new_request_id(), "task_id": task.task_id})

    def _describe_user_quota(self, request: Request) -> Response:
        """DescribeUserQuota (`GET /quota`; https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/developer-reference/api-cs-2015-12-15-describeuserquota):
        the caller's account's quotas, the documented defaults unless the control API set others."""
        with self.world.lock:
            return Response.json(self.world.quotas_of(caller_account()))

    def _describe_task_info(self, request: Request, task_id: str) -> Response:
        with self.world.lock:
            task = self.world.tasks.get(task_id)
            if task is None or self.world.cluster(task.cluster_id, account=caller_account()) is None:
                raise ApiError(404, "ErrorTaskNotFound", f"task {task_id} not found")
            return Response.json(task_info(task))

    def _describe_cluster_tasks(self, request: Request, cluster_id: str) -> Response:
        page_number = _positive_int(request, "page_number", 1)
        page_size = min(_positive_int(request, "page_size", 10), 100)
        with self.world.lock:
            self._cluster(cluster_id)
            tasks = list(reversed(self.world.cluster_tasks(cluster_id)))  # newest first, as ACK lists them
            page = tasks[(page_number - 1) * page_size : page_number * page_size]
            body = {
                "tasks": [
                    {
                        "task_id": t.task_id,
                        "task_type": t.task_type,
                        "state": t.state,
                        "created": iso(t.created),
                        "updated": iso(t.updated),
                        "error": t.error or {},
                    }
                    for t in page
                ],
                "page_info": {"page_number": page_number, "page_size": page_size, "total_count": len(tasks)},
            }
        return Response.json(body)

    def _delete_cluster_nodes(self, request: Request, cluster_id: str) -> Response:
        body = _body(request)
        names = _node_names(body.get("nodes"))
        if not names:
            raise ApiError(400, "InvalidParameter", "nodes is required: the node names to remove")
        release = _flag(body.get("release_node"))
        drain = _flag(body.get("drain_node"))
        with self.world.lock:
            cluster = self._cluster(cluster_id)
            if cluster.state not in ("running", "failed"):
                raise ApiError(400, "ErrorClusterState", f"cluster {cluster_id} is {cluster.state}; nodes cannot be removed now")
            nodes: list[Node] = []
            for name in names:
                node = next((n for n in cluster.nodes if n.name == name and n.in_cluster and not n.released), None)
                if node is None:
                    raise ApiError(400, "ErrorNodeNotFound", f"node {name} is not a node of cluster {cluster_id}")
                nodes.append(node)
            task = self.world.start_node_removal(cluster, nodes=nodes, release=release, drain=drain)
        return Response.json({"cluster_id": cluster_id, "request_id": new_request_id(), "task_id": task.task_id})


# --- shapes ------------------------------------------------------------------------------------------------


def cluster_row(world: World, cluster: Cluster) -> dict[str, Any]:
    """One row of DescribeClustersForRegion: the fields its official model lists, taken from the detail."""
    detail = cluster_detail(world, cluster)
    keys = (
        "cluster_domain", "cluster_id", "cluster_spec", "cluster_type", "container_cidr", "created", "current_version",
        "deletion_protection", "init_version", "ip_stack", "name", "next_version", "profile", "proxy_mode",
        "region_id", "resource_group_id", "security_group_id", "service_cidr", "size", "state", "tags", "timezone",
        "updated", "vpc_id", "vswitch_ids",
    )
    return {key: detail[key] for key in keys if key in detail}


def check_body(check: ClusterCheck, *, finished: bool, with_items: bool) -> dict[str, Any]:
    """GetClusterCheck's body (ListClusterChecks rows leave out the items). `status` is `Running` until the
    check ends, then `Succeeded` or `Failed` (the SDK's documented example is `Succeeded`)."""
    failed = check.failed_items() if finished else []
    status = "Running" if not finished else ("Failed" if failed else "Succeeded")
    body: dict[str, Any] = {
        "check_id": check.check_id,
        "type": check.check_type,
        "status": status,
        "message": {"Running": "task running", "Succeeded": "task succeed"}.get(
            status, f"{len(failed)} check item(s) failed: {', '.join(failed)}"
        ),
        "created_at": iso(check.created),
        "finished_at": iso(check.created + check.duration_s) if finished else "",
    }
    if with_items:
        body["check_items"] = check.items if finished else {}
    return body


def cluster_detail(world: World, cluster: Cluster) -> dict[str, Any]:
    """DescribeClusterDetail's body, without the fields ACK no longer returns (DEPRECATED_DETAIL_FIELDS)."""
    api = world.load_balancers.get(cluster.api_slb_id)
    api_endpoint = f"https://{api.address}:6443" if api else ""
    public = world.load_balancers.get(cluster.api_public_slb_id)
    public_endpoint = f"https://{public.address}:6443" if public else ""
    masters = cluster.masters
    dedicated = cluster.cluster_type == "Kubernetes"
    parameters: dict[str, str] = {
        "ClusterId": cluster.cluster_id,
        "KubernetesVersion": cluster.current_version.split("-")[0],
        "VpcId": cluster.vpc_id,
        "VSwitchId": cluster.vswitch_id,
        "SecurityGroupId": cluster.security_group_id,
        "ContainerCIDR": "172.20.0.0/16",
        "ServiceCIDR": "172.21.0.0/20",
        "ProxyMode": "ipvs",
        "LoadBalancerSpec": api.spec if api else "",
        "WorkerInstanceTypes": "ecs.g6.2xlarge",
        "NumOfNodes": str(len(cluster.workers)),
        "Network": "terway-eniip",
    }
    if dedicated:
        parameters.update(
            {
                "MasterCount": str(len(masters)),
                "MasterInstanceTypes": ",".join(sorted({n.instance_type for n in masters})),
                "MasterInstanceChargeType": masters[0].charge_type if masters else "PostPaid",
                "MasterSystemDiskCategory": "cloud_essd",
            }
        )
    return {
        "cluster_id": cluster.cluster_id,
        "name": cluster.name,
        "region_id": cluster.region_id,
        "zone_id": f"{cluster.region_id}-h",
        "cluster_type": cluster.cluster_type,
        "cluster_spec": cluster.cluster_spec,
        "profile": cluster.profile,
        "state": cluster.state,
        "current_version": cluster.current_version,
        "init_version": cluster.current_version,
        "next_version": "",
        "size": len([n for n in cluster.nodes if n.in_cluster and not n.released]),
        "vpc_id": cluster.vpc_id,
        "vswitch_ids": [cluster.vswitch_id],
        "security_group_id": cluster.security_group_id,
        "resource_group_id": "rg-acfmsandbox00000",
        "timezone": cluster.timezone,
        "ip_stack": "ipv4",
        "cluster_domain": "cluster.local",
        "container_cidr": "172.20.0.0/16",
        "service_cidr": "172.21.0.0/20",
        "proxy_mode": "ipvs",
        "deletion_protection": True,
        "created": iso(cluster.created),
        "updated": iso(cluster.updated),
        "master_url": json.dumps(
            {"api_server_endpoint": public_endpoint, "dashboard_endpoint": "", "intranet_api_server_endpoint": api_endpoint}
        ),
        "meta_data": json.dumps({"Capabilities": {}, "ExtraCertSAN": None, "KubernetesVersion": cluster.current_version}),
        "parameters": parameters,
        "tags": list(cluster.tags),
        "worker_ram_role_name": f"KubernetesWorkerRole-{cluster.master_role.split('-', 1)[-1]}",
        "maintenance_window": {"enable": False},
        "control_plane_endpoints_config": {
            "load_balancers_config": (
                [{"endpoint": api_endpoint, "endpoint_type": "intranet", "load_balancer_id": api.load_balancer_id}]
                if api
                else []
            )
            + (
                [{"endpoint": public_endpoint, "endpoint_type": "internet", "load_balancer_id": public.load_balancer_id}]
                if public
                else []
            )
        },
    }


def _node(cluster: Cluster, node: Node) -> dict[str, Any]:
    status = {"True": "Ready", "False": "NotReady"}.get(node.ready, "Unknown") if node.in_kubernetes else "Unknown"
    return {
        "instance_id": node.instance_id,
        "instance_name": f"worker-k8s-for-cs-{cluster.cluster_id}" if not node.is_master
        else f"master-0{cluster.masters.index(node) + 1}-k8s-for-cs-{cluster.cluster_id}",
        "instance_role": node.role,
        "instance_type": node.instance_type,
        "instance_type_family": node.instance_type.rsplit(".", 1)[0],
        "instance_status": "Running",
        "instance_charge_type": node.charge_type,
        "node_name": node.name,
        "host_name": f"iZ{node.instance_id[2:]}Z",
        "ip_address": [node.ip],
        "node_status": status,
        "state": "running",
        "is_aliyun_node": True,
        "source": "ROS" if node.is_master else "ess_attach",
        "nodepool_id": node.labels.get("alibabacloud.com/nodepool-id", ""),
        "image_id": "aliyun_3_x64_20G_alibase_20230727.vhd",
        "creation_time": iso(node.created),
        "expired_time": "2099-12-31T15:59:00Z",
        "error_message": "",
        "spot_strategy": "NoSpot",
    }


def _resources(world: World, cluster: Cluster) -> list[dict[str, Any]]:
    """DescribeClusterResources: a JSON array of ROS resources, as the real API answers."""

    def row(resource_type: str, instance_id: str, info: dict[str, Any] | None, auto_create: int) -> dict[str, Any]:
        return {
            "cluster_id": cluster.cluster_id,
            "created": iso(cluster.created),
            "instance_id": instance_id,
            "resource_info": json.dumps(info) if info is not None else "",
            "resource_type": resource_type,
            "state": "Created",
            "auto_create": auto_create,
        }

    rows = [row("ALIYUN::VPC::VPC", cluster.vpc_id, None, 0)]
    api = world.load_balancers.get(cluster.api_slb_id)
    if api is not None:
        rows.append(row("ALIYUN::SLB::LoadBalancer", api.load_balancer_id,
                        {"AddressType": api.address_type, "Address": api.address, "Usage": "api-server"}, 1))
    ingress = world.load_balancers.get(cluster.ingress_slb_id)
    if ingress is not None:
        rows.append(row("ALIYUN::SLB::LoadBalancer", ingress.load_balancer_id,
                        {"AddressType": ingress.address_type, "Address": ingress.address, "Usage": "ingress"}, 1))
    if cluster.master_role in world.roles:
        rows.append(row("ALIYUN::RAM::Role", cluster.master_role, {"RoleName": cluster.master_role}, 1))
    return rows


def kubeconfig(cluster: Cluster, server: str) -> str:
    """A kubeconfig whose user authenticates with the cluster's bearer token (kubectl and the client accept it)."""
    user = f"{cluster.cluster_id}-sandbox-user"
    # The simulated API server speaks HTTPS (kubectl sends no token over HTTP); trust its authority as ACK's do.
    authority = f"    certificate-authority-data: {certificate_authority_data()}\n" if server.startswith("https:") else ""
    return (
        "apiVersion: v1\n"
        "clusters:\n"
        "- cluster:\n"
        f"    server: {server}\n"
        f"{authority}"
        "  name: kubernetes\n"
        "contexts:\n"
        "- context:\n"
        "    cluster: kubernetes\n"
        f'    user: "{user}"\n'
        f"  name: {user}-{cluster.cluster_id}\n"
        f"current-context: {user}-{cluster.cluster_id}\n"
        "kind: Config\n"
        "preferences: {}\n"
        "users:\n"
        f'- name: "{user}"\n'
        "  user:\n"
        f"    token: {cluster.kube_token}\n"
    )


def task_info(task: Task) -> dict[str, Any]:
    """DescribeTaskInfo's body: stages so far, events, and the error once it failed."""
    stages = []
    for index, (_name, message) in enumerate(task.stages):
        if index >= len(task.stage_started):
            if task.stage_listing == "all" and task.state == "running":
                stages.append({"state": "pending", "message": message, "start_time": "", "end_time": "", "outputs": {}})
                continue
            break
        ended = task.stage_ended[index] if index < len(task.stage_ended) else None
        if ended is None:
            state = "running"
        elif task.state == "fail" and index == task.stage_index:
            state = "fail"
        else:
            state = "success"
        stages.append(
            {
                "state": state,
                "message": message,
                "start_time": stage_time(task.stage_started[index]),
                "end_time": stage_time(ended) if ended is not None else "",
                "outputs": {},
            }
        )
    return {
        "task_id": task.task_id,
        "task_type": task.task_type,
        "state": task.state,
        "created": iso(task.created),
        "updated": iso(task.updated),
        "current_stage": task.stages[task.stage_index][0],
        "stages": stages,
        "events": list(task.events),
        "error": task.error or {},
        "target": {"id": task.cluster_id, "type": "cluster"},
        "parameters": dict(task.parameters),
        "task_result": [],
    }


def stage_time(ts: float) -> str:
    """A stage's time as DescribeTaskInfo documents it: `YYYY-MM-DD HH:mm:ss` (the model's docstring)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _retired(action: str) -> ApiError:
    return ApiError(
        410,
        "ApiDecommissioned",
        f"{action} has been decommissioned; call {RETIRED_ACTIONS[action]} instead. See {ANNOUNCEMENT}",
    )


# --- MigrateCluster's refusals -------------------------------------------------------------------------------


def _refuse_migration(world: World, cluster: Cluster, bucket_name: str, bucket_endpoint: str) -> None:
    """Raise the error ACK answers when this cluster cannot be migrated now (checked in ACK's order)."""
    if not cluster.whitelisted:
        raise ApiError(
            403,
            "Forbidden.NotInWhitelist",
            "Your account is not allowed to migrate dedicated clusters to ACK Pro: submit a ticket to be added "
            "to the whitelist of this feature.",
        )
    if cluster.cluster_type != "Kubernetes":
        raise ApiError(
            400,
            "ErrorClusterType",
            f"cluster {cluster.cluster_id} is a {cluster.cluster_type} cluster ({cluster.cluster_spec or 'basic'}); "
            "only dedicated (Kubernetes) clusters can be migrated",
        )
    running = world.running_migration(cluster.cluster_id)
    if running is not None or cluster.state == cluster.migrating_state:
        raise ApiError(
            400,
            "ErrorClusterState",
            f"cluster {cluster.cluster_id} is already migrating (task {running.task_id if running else 'unknown'})",
        )
    if cluster.state not in _MIGRATABLE_STATES:
        raise ApiError(
            400, "ErrorClusterState", f"cluster {cluster.cluster_id} is {cluster.state}; it must be running to migrate"
        )
    bucket = world.buckets.get(bucket_name)
    if bucket is None:
        raise ApiError(400, "ErrorOssBucketNotFound", f"OSS bucket {bucket_name} does not exist")
    if bucket.region_id != cluster.region_id:
        raise ApiError(
            400,
            "ErrorOssBucketRegion",
            f"OSS bucket {bucket_name} is in {bucket.region_id}; it must be in the cluster's region {cluster.region_id}",
        )
    if cluster.region_id not in bucket_endpoint:
        raise ApiError(
            400, "InvalidParameter", f"oss_bucket_endpoint {bucket_endpoint} is not an endpoint of {cluster.region_id}"
        )


def master_role_grants_bucket(world: World, cluster: Cluster, bucket: str) -> bool:
    """Whether a default policy version attached to the master role allows Put/GetObject on the bucket."""
    role = world.roles.get(cluster.master_role)
    if role is None:
        return False
    needed = {"oss:PutObject", "oss:GetObject"}
    granted: set[str] = set()
    for name in role.policies:
        policy = world.policies.get(name)
        if policy is None:
            continue
        try:
            document = json.loads(policy.default.document)
        except (ValueError, StopIteration):
            continue
        for statement in document.get("Statement") or []:
            if statement.get("Effect") != "Allow":
                continue
            actions = _as_list(statement.get("Action"))
            resources = _as_list(statement.get("Resource"))
            if any(_resource_covers(r, bucket) for r in resources):
                granted |= {a for a in needed if a in actions or "oss:*" in actions or "*" in actions}
    return needed <= granted


def _resource_covers(resource: str, bucket: str) -> bool:
    return resource in ("*", "acs:oss:*:*:*", f"acs:oss:*:*:{bucket}/*")


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


# --- request helpers -----------------------------------------------------------------------------------------


def _body(request: Request) -> dict[str, Any]:
    """A JSON body, or a form body as aliyunsdkcore sends body params without a Content-Type."""
    if not request.body:
        return {}
    if "application/x-www-form-urlencoded" in request.header("content-type"):
        return dict(parse_qsl(request.body.decode(), keep_blank_values=True))
    try:
        body = json.loads(request.body)
    except ValueError:
        raise ApiError(400, "InvalidParameter", "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "InvalidParameter", "the request body must be a JSON object")
    return body


def _node_names(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text.replace("'", '"'))
            except ValueError:
                raise ApiError(400, "InvalidParameter", "nodes must be a list of node names") from None
            return [str(v) for v in parsed]
        return [part.strip() for part in text.split(",") if part.strip()]
    return []


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def _positive_int(request: Request, name: str, default: int) -> int:
    raw = request.arg(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "InvalidParameter", f"{name} must be a positive integer") from None
    if value < 1:
        raise ApiError(400, "InvalidParameter", f"{name} must be a positive integer")
    return value


def _snake(action: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()
