"""Simulated Kubernetes API servers, one per cluster, under `{endpoint}/clusters/{cluster_id}`.

The kubeconfig ACK's DescribeClusterUserKubeconfig hands out points here, with the cluster's bearer token,
so the official Python client and the real `kubectl` talk to it unchanged: discovery, nodes (list, get,
delete), pods, namespaces, DaemonSets and Deployments, with field and label selectors, `limit`/`continue`
paging, `Table` answers for kubectl's STATUS/ROLES/AGE columns, and `Status` errors shaped as the real API
server shapes them. It speaks HTTPS only (sandbox.kube_tls), because kubectl sends no token over HTTP.
While a migration moves the control plane (the MigrateControlPlane stage) every call is answered 503,
because the real API server is away for 5–10 minutes then.

Action names in the call log and for faults (service `kubernetes`) are the Kubernetes verb and resource:
`discovery` (`/version`, `/api`, `/apis`, `/api/v1`, `/apis/apps`, `/apis/apps/v1`), `list nodes`,
`get nodes`, `delete nodes`, `list pods`, `get pods`, `list namespaces`, `get namespaces`,
`list daemonsets`, `get daemonsets`, `list deployments`, `get deployments`, and for post-migration
verification `readyz` (`/readyz`, `/livez`, `/healthz`: plain `ok`), `create namespaces`, `delete namespaces`
(only namespaces made through the API; a system namespace is 403), `create pods` (Pending, then placed on a
Ready worker by the World's scheduler unless the cluster's `after_migration.canary_schedulable` is false)
and `delete pods`; for the steps around a terway migration `list|get|create|delete
mutatingwebhookconfigurations` (and validating), `get|patch|update deployments/scale` and `patch
deployments` (only `spec.replicas`), `delete deployments`. Request bodies are JSON only: a protobuf body (kubectl's default for create) is answered
415 UnsupportedMediaType, as a server that does not speak it answers. A verb the sandbox does not serve is
logged as e.g. `create nodes` or `watch pods` and answered 405; any other path under a cluster is logged as
`unknown` and answered 404. A cluster whose API endpoint moved (`after_migration.api_endpoint_changes`)
answers under `/clusters/{id}-pro` too, which is where ACK's kubeconfig then points.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox import kube_objects as objects
from sandbox.httpserver import ApiError, Request, Response, Route
from sandbox.kube_discovery import (
    Resource,
    api_group,
    api_group_list,
    api_resource_list,
    api_versions,
    find_resource,
    version_info,
)
from sandbox.kube_selectors import (
    FieldTerm,
    SelectorError,
    match_fields,
    match_labels,
    parse_field_selector,
    parse_label_selector,
)
from sandbox.kube_tls import server_context
from sandbox.world import Cluster, Pod, World, iso

Object = dict[str, Any]
Column = tuple[str, str, str, int, str]

_PREFIX = re.compile(r"/clusters/(?P<cluster_id>[^/]+)(?P<rest>/.*)?")
_RESOURCE_PATH = re.compile(
    r"/(?:api/(?P<core>v1)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))"
    r"(?:/namespaces/(?P<namespace>[^/]+)(?=/))?"
    r"/(?P<resource>[^/]+)(?:/(?P<name>[^/]+))?/?"
)
_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}
_SCALE_PATH = re.compile(r"/apis/apps/v1/namespaces/(?P<namespace>[^/]+)/deployments/(?P<name>[^/]+)/scale/?")
_PATCH_TYPES = ("application/merge-patch+json", "application/strategic-merge-patch+json")
_HEALTH_PATHS = ("/readyz", "/livez", "/healthz")
"""The API server's health endpoints (https://kubernetes.io/docs/reference/using-api/health-checks/): plain "ok"."""
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_WRITE_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch"}
_CONTINUE_VERSION = "meta.k8s.io/v1"
_NOT_FOUND = "the server could not find the requested resource"


class KubeError(ApiError):
    """An API error with the `details` the real server puts in its Status (name, kind, group)."""

    def __init__(self, status: int, reason: str, message: str, details: dict[str, str] | None = None) -> None:
        super().__init__(status, reason, message)
        self.details = details or {}


@dataclass(frozen=True)
class Kind:
    """How one resource's objects are built from the world, selected by field, and printed as a Table."""

    resource: Resource
    build: Callable[[Cluster], list[Object]]
    fields: Callable[[Object], dict[str, str]]
    columns: tuple[Column, ...]
    cells: Callable[[Object], list[Any]]


def _visible_pods(cluster: Cluster) -> list[Pod]:
    """Pods on nodes Kubernetes still knows, plus pending ones that have no node yet."""
    return cluster.kube_pods + [p for p in cluster.pods if not p.node_name]


def _metadata_fields(obj: Object) -> dict[str, str]:
    meta = obj["metadata"]
    fields = {"metadata.name": meta["name"]}
    if "namespace" in meta:
        fields["metadata.namespace"] = meta["namespace"]
    return fields


def _node_fields(obj: Object) -> dict[str, str]:
    return {
        **_metadata_fields(obj),
        "spec.unschedulable": str(bool(obj["spec"].get("unschedulable"))).lower(),
    }


def _pod_fields(obj: Object) -> dict[str, str]:
    """The fields a real API server lets a pod list select on (registry/core/pod PodToSelectableFields)."""
    spec, status = obj["spec"], obj["status"]
    return {
        **_metadata_fields(obj),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.restartPolicy": spec.get("restartPolicy", ""),
        "spec.schedulerName": spec.get("schedulerName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "spec.hostNetwork": str(bool(spec.get("hostNetwork"))).lower(),
        "status.phase": status.get("phase", ""),
        "status.podIP": status.get("podIP") or "",
        "status.nominatedNodeName": status.get("nominatedNodeName") or "",
    }


def _namespace_fields(obj: Object) -> dict[str, str]:
    return {**_metadata_fields(obj), "status.phase": obj["status"]["phase"]}


def _webhook_configurations(plural: str) -> Callable[[Cluster], list[Object]]:
    def build(cluster: Cluster) -> list[Object]:
        return [objects.webhook_configuration_object(o) for o in cluster.webhooks[plural].values()]

    return build


def _kinds() -> dict[str, Kind]:
    def resource(group_version: str, name: str) -> Resource:
        found = find_resource(group_version, name)
        assert found is not None, f"{name} is missing from sandbox.kube_discovery.RESOURCES"
        return found

    def workloads(kind: str, render: Callable[[Cluster, Any], Object]) -> Callable[[Cluster], list[Object]]:
        return lambda cluster: [render(cluster, w) for w in cluster.workloads if w.kind == kind]

    kinds = [
        Kind(
            resource("v1", "nodes"),
            lambda c: [objects.node_object(c, n) for n in c.kube_nodes],
            _node_fields,
            objects.NODE_COLUMNS,
            objects.node_cells,
        ),
        Kind(
            resource("v1", "pods"),
            lambda c: [objects.pod_object(c, p) for p in _visible_pods(c)],
            _pod_fields,
            objects.POD_COLUMNS,
            objects.pod_cells,
        ),
        Kind(
            resource("v1", "namespaces"),
            lambda c: [objects.namespace_object(c, n) for n in objects.namespace_names(c)],
            _namespace_fields,
            objects.NAMESPACE_COLUMNS,
            objects.namespace_cells,
        ),
        Kind(
            resource("apps/v1", "daemonsets"),
            workloads("DaemonSet", objects.daemonset_object),
            _metadata_fields,
            objects.DAEMONSET_COLUMNS,
            objects.daemonset_cells,
        ),
        Kind(
            resource("apps/v1", "deployments"),
            workloads("Deployment", objects.deployment_object),
            _metadata_fields,
            objects.DEPLOYMENT_COLUMNS,
            objects.deployment_cells,
        ),
        *(
            Kind(
                resource("admissionregistration.k8s.io/v1", plural),
                _webhook_configurations(plural),
                _metadata_fields,
                objects.WEBHOOK_COLUMNS,
                objects.webhook_cells,
            )
            for plural in ("mutatingwebhookconfigurations", "validatingwebhookconfigurations")
        ),
    ]
    return {f"{k.resource.group_version}/{k.resource.name}": k for k in kinds}


KINDS = _kinds()


@dataclass(frozen=True)
class Target:
    """What a resource URL names: a kind, maybe a namespace, maybe one object."""

    kind: Kind
    namespace: str | None
    name: str | None


class KubeService:
    """Every simulated cluster's API server behind one port; the path says which cluster is asked."""

    name = "kubernetes"

    def __init__(self, world: World) -> None:
        self.world = world

    def tls_context(self, host: str) -> ssl.SSLContext:
        """HTTPS, as on a real cluster: kubectl sends the kubeconfig's token to an `https://` server only."""
        return server_context(host)

    # --- the Service protocol -------------------------------------------------------------------------

    def route(self, request: Request) -> Route | None:
        prefix = _PREFIX.fullmatch(request.path)
        if prefix is None:
            return None
        cluster_id, rest = prefix["cluster_id"], prefix["rest"] or "/"
        with self.world.lock:
            addressed = self.world.cluster_by_api_path(cluster_id)
        cluster_id = addressed.cluster_id if addressed is not None else cluster_id
        params = {"cluster_id": cluster_id}
        if rest.rstrip("/") in _HEALTH_PATHS:
            if request.method not in ("GET", "HEAD"):
                return Route("readyz", _refuse_method, params)
            return Route("readyz", lambda _req: Response(status=200, body=b"ok",
                                                         headers={"Content-Type": "text/plain; charset=utf-8"}), params)
        discovery = self._discovery(cluster_id, rest.rstrip("/") or "/")
        if discovery is not None:
            if request.method not in ("GET", "HEAD"):
                return Route("discovery", _refuse_method, params)
            return Route("discovery", lambda _req: discovery(), params)
        scale = _SCALE_PATH.fullmatch(rest)
        if scale is not None:
            return self._scale_route(request, cluster_id, scale["namespace"], scale["name"], params)
        target = _target(rest)
        if target is None:
            return Route("unknown", _not_found, params)
        verb = _verb(request, target)
        action = f"{verb} {target.kind.resource.name}"
        if verb not in target.kind.resource.verbs:
            return Route(action, _refuse_method, params)
        handlers: dict[str, Callable[[Request], Response]] = {
            "list": lambda req: self._list(req, cluster_id, target),
            "get": lambda req: self._get(req, cluster_id, target),
            "delete": lambda req: self._delete(req, cluster_id, target),
            "create": lambda req: self._create(req, cluster_id, target),
            "patch": lambda req: self._patch_deployment(req, cluster_id, target),
        }
        return Route(action, handlers[verb], params)

    def authenticate(self, request: Request, route: Route) -> None:
        """Nobody is answered while the control plane moves; otherwise the token must be the cluster's."""
        cluster_id = route.params.get("cluster_id", "")
        token = _bearer_token(request)
        with self.world.lock:
            self.world.advance()
            cluster = self.world.cluster(cluster_id)
            if cluster is not None and self.world.api_server_down(cluster_id):
                raise KubeError(
                    503,
                    "ServiceUnavailable",
                    "the API server is unavailable while the control plane is migrated to ACK Pro",
                )
            if cluster is None or not token or not hmac.compare_digest(token, cluster.kube_token):
                raise KubeError(401, "Unauthorized", "Unauthorized")

    def error(self, request: Request, error: ApiError, request_id: str) -> Response:
        known = error.code in _REASONS.values() or error.code == "AlreadyExists"
        reason = error.code if known else _REASONS.get(error.status, "Unknown")
        status: Object = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": error.message,
            "reason": reason,
            "code": error.status,
        }
        details = getattr(error, "details", None)
        if details:
            status["details"] = details
        return _json(status, status=error.status, headers={"Audit-Id": request_id.lower()})

    # --- discovery -----------------------------------------------------------------------------------

    def _discovery(self, cluster_id: str, path: str) -> Callable[[], Response] | None:
        """The document a discovery path asks for, or None when the path is not a discovery path."""
        if path == "/version":
            return lambda: _json(version_info(self._cluster(cluster_id)))
        if path == "/api":
            return lambda: _json(api_versions(self._cluster(cluster_id)))
        if path == "/apis":
            return lambda: _json(api_group_list())
        core_version = path.removeprefix("/api/") if path.startswith("/api/") else None
        if core_version is not None and "/" not in core_version:
            core = api_resource_list(core_version)
            return (lambda: _json(core)) if core is not None else None
        named = path.removeprefix("/apis/").split("/") if path.startswith("/apis/") else []
        if len(named) == 1:
            group = api_group(named[0])
            return (lambda: _json(group)) if group is not None else None
        if len(named) == 2:
            resources = api_resource_list("/".join(named))
            return (lambda: _json(resources)) if resources is not None else None
        return None

    # --- reading -------------------------------------------------------------------------------------

    def _cluster(self, cluster_id: str) -> Cluster:
        cluster = self.world.cluster(cluster_id)
        if cluster is None:
            raise KubeError(404, "NotFound", _NOT_FOUND)
        return cluster

    def _objects(self, cluster_id: str, target: Target) -> list[Object]:
        with self.world.lock:
            built = target.kind.build(self._cluster(cluster_id))
        if target.namespace is None:
            return built
        return [o for o in built if o["metadata"].get("namespace") == target.namespace]

    def _list(self, request: Request, cluster_id: str, target: Target) -> Response:
        kind = target.kind
        terms = _field_terms(request, kind)
        requirements = _label_requirements(request)
        every = self._objects(cluster_id, target)
        selected = sorted(
            (
                o
                for o in every
                if match_fields(terms, kind.fields(o)) and match_labels(requirements, _labels(o))
            ),
            key=_storage_key,
        )
        list_version = objects.resource_version(*(o["metadata"]["resourceVersion"] for o in every))
        page, metadata = _paginate(request, selected, list_version, selectors=bool(terms or requirements))
        table = _negotiate(request)
        if table is not None:
            return _json(_table(kind, page, metadata, table, request))
        items = [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in page]
        resource = kind.resource
        return _json(
            {
                "kind": f"{resource.kind}List",
                "apiVersion": resource.group_version,
                "metadata": metadata,
                "items": items,
            }
        )

    def _get(self, request: Request, cluster_id: str, target: Target) -> Response:
        obj = self._find(cluster_id, target)
        table = _negotiate(request)
        if table is not None:
            return _json(
                _table(
                    target.kind,
                    [obj],
                    {"resourceVersion": obj["metadata"]["resourceVersion"]},
                    table,
                    request,
                )
            )
        return _json(obj)

    def _find(self, cluster_id: str, target: Target) -> Object:
        found = next(
            (o for o in self._objects(cluster_id, target) if o["metadata"]["name"] == target.name), None
        )
        if found is None:
            raise _object_not_found(target)
        return found

    # --- writing -------------------------------------------------------------------------------------

    def _scale_route(self, request: Request, cluster_id: str, namespace: str, name: str,
                     params: dict[str, str]) -> Route:
        """`deployments/{name}/scale` (autoscaling/v1 Scale): what `kubectl scale` and the clients' scale calls use."""
        verb = {"GET": "get", "PUT": "update", "PATCH": "patch"}.get(request.method, request.method.lower())
        action = f"{verb} deployments/scale"
        if verb == "get":
            return Route(action, lambda _req: _json(self._scale_object(cluster_id, namespace, name)), params)
        if verb in ("update", "patch"):
            return Route(action, lambda req: self._set_scale(req, cluster_id, namespace, name), params)
        return Route(action, _refuse_method, params)

    def _deployment(self, cluster_id: str, namespace: str, name: str) -> tuple[Cluster, Any]:
        cluster = self._cluster(cluster_id)
        workload = objects.find_workload(cluster, "Deployment", namespace, name)
        if workload is None:
            raise KubeError(404, "NotFound", f'deployments.apps "{name}" not found',
                            {"name": name, "group": "apps", "kind": "deployments"})
        return cluster, workload

    def _scale_object(self, cluster_id: str, namespace: str, name: str) -> Object:
        with self.world.lock:
            cluster, workload = self._deployment(cluster_id, namespace, name)
            deployment = objects.deployment_object(cluster, workload)
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {key: deployment["metadata"][key]
                         for key in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")},
            "spec": {"replicas": workload.replicas},
            "status": {"replicas": deployment["status"]["replicas"],
                       "selector": ",".join(f"{k}={v}" for k, v in deployment["spec"]["selector"]["matchLabels"].items())},
        }

    def _set_scale(self, request: Request, cluster_id: str, namespace: str, name: str) -> Response:
        self._apply_replicas(request, cluster_id, namespace, name)
        return _json(self._scale_object(cluster_id, namespace, name))

    def _patch_deployment(self, request: Request, cluster_id: str, target: Target) -> Response:
        """Only `spec.replicas` (a merge or strategic-merge patch): the scale a client may send as a patch."""
        if target.name is None or target.namespace is None:
            raise KubeError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        self._apply_replicas(request, cluster_id, target.namespace, target.name)
        with self.world.lock:
            cluster, workload = self._deployment(cluster_id, target.namespace, target.name)
            return _json(objects.deployment_object(cluster, workload))

    def _apply_replicas(self, request: Request, cluster_id: str, namespace: str, name: str) -> None:
        accepted = _PATCH_TYPES if request.method == "PATCH" else ("application/json", "*/*")
        body = _json_body(request, accepted)
        replicas = (body.get("spec") or {}).get("replicas") if isinstance(body, dict) else None
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise KubeError(422, "Invalid", f'"{name}" is invalid: spec.replicas: Invalid value: {replicas!r}: must '
                            "be greater than or equal to 0 (only spec.replicas can be changed here)")
        other = {k for k in (body.get("spec") or {}) if k != "replicas"} | {k for k in body if k not in (
            "spec", "kind", "apiVersion", "metadata")}
        if other:
            raise KubeError(422, "Invalid", f"the sandbox changes only spec.replicas (got {', '.join(sorted(other))})")
        with self.world.lock:
            cluster, workload = self._deployment(cluster_id, namespace, name)
            self.world.scale_workload(cluster, workload, replicas)

    def _delete(self, request: Request, cluster_id: str, target: Target) -> Response:
        resource = target.kind.resource.name
        if resource.endswith("webhookconfigurations"):
            return self._delete_webhook_configuration(cluster_id, target)
        if resource == "deployments":
            return self._delete_deployment(cluster_id, target)
        if resource == "namespaces":
            return self._delete_namespace(cluster_id, target)
        if resource == "pods":
            return self._delete_pod(cluster_id, target)
        return self._delete_node(request, cluster_id, target)

    def _create(self, request: Request, cluster_id: str, target: Target) -> Response:
        if target.name is not None:
            raise KubeError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        body = _object_body(request, target.kind.resource.kind)
        name = str(body.get("metadata", {}).get("name") or "")
        if not _DNS_LABEL.fullmatch(name):
            raise KubeError(422, "Invalid", f'{target.kind.resource.kind} "{name}" is invalid: metadata.name: Invalid '
                            "value: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
                            "'-', and must start and end with an alphanumeric character")
        if target.kind.resource.name == "namespaces":
            return self._create_namespace(cluster_id, name, body)
        if target.kind.resource.name.endswith("webhookconfigurations"):
            return self._create_webhook_configuration(cluster_id, target, name, body)
        return self._create_pod(cluster_id, target.namespace or "", name, body)

    def _create_webhook_configuration(self, cluster_id: str, target: Target, name: str, body: Object) -> Response:
        """Stored as sent (a restore puts back what a backup read), with the server-set metadata renewed."""
        resource = target.kind.resource
        with self.world.lock:
            stored = self._cluster(cluster_id).webhooks[resource.name]
            if name in stored:
                raise _already_exists(resource.qualified, name)
            metadata = {key: value for key, value in (body.get("metadata") or {}).items()
                        if key not in ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation")}
            obj = {**body, "kind": resource.kind, "apiVersion": resource.group_version,
                   "metadata": {**metadata, "name": name, "uid": str(uuid.uuid4()), "creationTimestamp": iso()}}
            stored[name] = obj
            return _json(objects.webhook_configuration_object(obj), status=201)

    def _delete_deployment(self, cluster_id: str, target: Target) -> Response:
        """The Deployment goes, and its pods with it (the garbage collector's work, done at once)."""
        with self.world.lock:
            cluster, workload = self._deployment(cluster_id, target.namespace or "", target.name or "")
            self.world.scale_workload(cluster, workload, 0)
            cluster.workloads.remove(workload)
        return _json({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                      "details": {"name": target.name, "group": "apps", "kind": "deployments", "uid": workload.uid}})

    def _delete_webhook_configuration(self, cluster_id: str, target: Target) -> Response:
        with self.world.lock:
            stored = self._cluster(cluster_id).webhooks[target.kind.resource.name]
            if target.name not in stored:
                raise _object_not_found(target)
            gone = stored.pop(target.name or "")
        return _json({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                      "details": {"name": target.name, "group": target.kind.resource.group,
                                  "kind": target.kind.resource.name, "uid": gone["metadata"]["uid"]}})

    def _create_namespace(self, cluster_id: str, name: str, body: Object) -> Response:
        with self.world.lock:
            cluster = self._cluster(cluster_id)
            if name in objects.namespace_names(cluster):
                raise _already_exists("namespaces", name)
            cluster.created_namespaces.add(name)
            created = objects.namespace_object(cluster, name)
        created["metadata"]["labels"].update(body.get("metadata", {}).get("labels") or {})
        return _json(created, status=201)

    def _create_pod(self, cluster_id: str, namespace: str, name: str, body: Object) -> Response:
        containers = (body.get("spec") or {}).get("containers") or []
        if not containers or not all(isinstance(c, dict) and c.get("image") for c in containers):
            raise KubeError(422, "Invalid", f'Pod "{name}" is invalid: spec.containers: Required value')
        with self.world.lock:
            cluster = self._cluster(cluster_id)
            if namespace not in objects.namespace_names(cluster):
                raise KubeError(404, "NotFound", f'namespaces "{namespace}" not found',
                                {"name": namespace, "kind": "namespaces"})
            if any(p.namespace == namespace and p.name == name for p in cluster.pods):
                raise _already_exists("pods", name)
            pod = Pod(namespace=namespace, name=name, node_name="", image=str(containers[0]["image"]),
                      labels=dict(body.get("metadata", {}).get("labels") or {}), phase="Pending", from_api=True)
            self.world.pod_created(cluster, pod)
            return _json(objects.pod_object(cluster, pod), status=201)

    def _delete_pod(self, cluster_id: str, target: Target) -> Response:
        with self.world.lock:
            cluster = self._cluster(cluster_id)
            pod = next((p for p in cluster.pods if p.namespace == target.namespace and p.name == target.name), None)
            if pod is None:
                raise _object_not_found(target)
            deleted = objects.pod_object(cluster, pod)
            cluster.pods.remove(pod)
        deleted["metadata"]["deletionTimestamp"] = deleted["metadata"]["creationTimestamp"]
        return _json(deleted)

    def _delete_namespace(self, cluster_id: str, target: Target) -> Response:
        """Only a namespace made through the API goes (with its pods); the others hold the simulated cluster."""
        name = target.name or ""
        with self.world.lock:
            cluster = self._cluster(cluster_id)
            if name not in objects.namespace_names(cluster):
                raise _object_not_found(target)
            if name not in cluster.created_namespaces:
                raise KubeError(403, "Forbidden", f'namespaces "{name}" is forbidden: this namespace may not be '
                                "deleted", {"name": name, "kind": "namespaces"})
            gone = objects.namespace_object(cluster, name)
            cluster.created_namespaces.discard(name)
            cluster.pods[:] = [p for p in cluster.pods if p.namespace != name]
        gone["status"]["phase"] = "Terminating"
        return _json(gone)

    def _delete_node(self, request: Request, cluster_id: str, target: Target) -> Response:
        """`kubectl delete node`: the node leaves Kubernetes (its pods with it); the ECS instance stays."""
        dry_run = request.arg("dryRun") == "All" or _body_dry_run(request)
        with self.world.lock:
            cluster = self._cluster(cluster_id)
            node = cluster.node(target.name or "")
            if node is None:
                raise _object_not_found(target)
            if not dry_run:
                node.in_kubernetes = False
            uid = node.uid
        return _json(
            {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": {"name": target.name, "kind": "nodes", "uid": uid},
            }
        )


# --- requests ------------------------------------------------------------------------------------------


def _target(rest: str) -> Target | None:
    match = _RESOURCE_PATH.fullmatch(rest)
    if match is None:
        return None
    group_version = match["core"] or f"{match['group']}/{match['version']}"
    kind = KINDS.get(f"{group_version}/{match['resource']}")
    if kind is None:
        return None
    namespace = match["namespace"]
    if namespace is not None and not kind.resource.namespaced:
        return None
    if kind.resource.namespaced and match["name"] is not None and namespace is None:
        return None  # /api/v1/pods/x is not a URL the real server has either
    return Target(kind, namespace, match["name"])


def _verb(request: Request, target: Target) -> str:
    if request.method in ("GET", "HEAD"):
        if request.arg("watch") in ("true", "1"):
            return "watch"
        return "get" if target.name else "list"
    if request.method == "DELETE":
        return "delete" if target.name else "deletecollection"
    return _WRITE_VERBS.get(request.method, request.method.lower())


def _json_body(request: Request, accepted: tuple[str, ...]) -> Any:
    """The request's JSON body; a media type the sandbox does not speak (kubectl's protobuf) is a 415."""
    media = request.header("Content-Type").split(";", 1)[0].strip() or "application/json"
    if media not in accepted:
        raise KubeError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format - accepted "
                        f'media types include: {", ".join(accepted)} (got "{media}")')
    try:
        return json.loads(request.body or b"{}")
    except ValueError as error:
        raise KubeError(400, "BadRequest", f"the body of the request was in an unknown format: {error}") from None


def _object_body(request: Request, kind: str) -> Object:
    body = _json_body(request, ("application/json", "*/*"))
    if not isinstance(body, dict) or body.get("kind", kind) != kind:
        raise KubeError(400, "BadRequest", f"the body of the request is not a {kind}")
    return body


def _already_exists(resource: str, name: str) -> KubeError:
    return KubeError(409, "AlreadyExists", f'{resource} "{name}" already exists', {"name": name, "kind": resource})


def _bearer_token(request: Request) -> str:
    scheme, _, token = request.header("Authorization").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _body_dry_run(request: Request) -> bool:
    """DeleteOptions in the body may carry dryRun too (the Python client sends it there)."""
    if not request.body:
        return False
    try:
        options = json.loads(request.body)
    except ValueError as error:
        raise KubeError(
            400, "BadRequest", f"the body of the request was in an unknown format: {error}"
        ) from None
    return isinstance(options, dict) and "All" in (options.get("dryRun") or [])


def _field_terms(request: Request, kind: Kind) -> list[FieldTerm]:
    """Parsed and checked up front, so a bad selector is refused even when nothing would match."""
    sample = {"metadata": {"name": "", "namespace": ""}, "spec": {}, "status": {"phase": ""}}
    supported = set(kind.fields(sample))
    try:
        terms = parse_field_selector(request.arg("fieldSelector"))
    except SelectorError as error:
        raise KubeError(400, "BadRequest", str(error)) from None
    for term in terms:
        if term.field not in supported:
            raise KubeError(400, "BadRequest", f"field label not supported: {term.field}")
    return terms


def _label_requirements(request: Request) -> list[Any]:
    try:
        return parse_label_selector(request.arg("labelSelector"))
    except SelectorError as error:
        raise KubeError(400, "BadRequest", str(error)) from None


def _labels(obj: Object) -> dict[str, str]:
    labels: dict[str, str] = obj["metadata"].get("labels") or {}
    return labels


def _storage_key(obj: Object) -> str:
    """etcd's key order, which is the order the real server lists in: namespace, then name."""
    meta = obj["metadata"]
    return f"{meta.get('namespace', '')}/{meta['name']}"


def _negotiate(request: Request) -> str | None:
    """The Table apiVersion kubectl asked for, or None for plain JSON; 406 when neither is acceptable."""
    accept = request.header("Accept").strip()
    if not accept:
        return None
    for entry in accept.split(","):
        media, *raw_params = (part.strip() for part in entry.split(";"))
        params = dict(p.split("=", 1) for p in raw_params if "=" in p)
        if (
            params.get("as") == "Table"
            and params.get("g") == "meta.k8s.io"
            and params.get("v") in ("v1", "v1beta1")
        ):
            return f"meta.k8s.io/{params['v']}"
        if "as" not in params and media in ("application/json", "application/*", "*/*"):
            return None
    raise KubeError(406, "NotAcceptable", "only the following media types are accepted: application/json")


# --- lists, pages and tables -----------------------------------------------------------------------------


def _paginate(
    request: Request, items: list[Object], list_version: str, *, selectors: bool
) -> tuple[list[Object], Object]:
    """`limit` and `continue` as the real server pages: the token remembers the key to start after."""
    start = _continue_start(request.arg("continue"))
    if start is not None:
        items = [o for o in items if _storage_key(o) >= start]
    limit = _limit(request.arg("limit"))
    metadata: Object = {"resourceVersion": list_version}
    if limit is None or len(items) <= limit:
        return items, metadata
    page = items[:limit]
    token = {"v": _CONTINUE_VERSION, "rv": int(list_version), "start": _storage_key(page[-1]) + "\x00"}
    metadata["continue"] = base64.urlsafe_b64encode(json.dumps(token).encode()).decode().rstrip("=")
    if not selectors:
        metadata["remainingItemCount"] = len(items) - limit
    return page, metadata


def _limit(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    try:
        limit = int(raw)
    except ValueError:
        raise KubeError(400, "BadRequest", f'limit: Invalid value: "{raw}": must be an integer') from None
    return limit if limit > 0 else None


def _continue_start(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        token = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        start = token["start"]
        if token.get("v") != _CONTINUE_VERSION or not isinstance(start, str):
            raise ValueError("unsupported continue token version")
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise KubeError(400, "BadRequest", f"continue key is not valid: {error}") from None
    return start


def _table(kind: Kind, items: list[Object], metadata: Object, api_version: str, request: Request) -> Object:
    """What kubectl prints: the server's column definitions and cells, with each row's object as asked."""
    include = request.arg("includeObject", "Metadata")
    if include not in ("None", "Metadata", "Object"):
        raise KubeError(400, "BadRequest", f"includeObject: Unsupported value: {include!r}")
    columns = [
        {"name": name, "type": type_, "format": format_, "description": description, "priority": priority}
        for name, type_, format_, priority, description in kind.columns
    ]
    rows = []
    for obj in items:
        row: Object = {"cells": kind.cells(obj)}
        if include == "Object":
            row["object"] = obj
        elif include == "Metadata":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj["metadata"],
            }
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": api_version,
        "metadata": metadata,
        "columnDefinitions": columns,
        "rows": rows,
    }


# --- answers --------------------------------------------------------------------------------------------


def _json(body: Object, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """The real API server answers plain `application/json`, for discovery too (the legacy format)."""
    return Response(
        status=status,
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def _object_not_found(target: Target) -> KubeError:
    resource = target.kind.resource
    details = {"name": target.name or "", "kind": resource.name}
    if resource.group:
        details["group"] = resource.group
    return KubeError(404, "NotFound", f'{resource.qualified} "{target.name}" not found', details)


def _not_found(request: Request) -> Response:
    raise KubeError(404, "NotFound", _NOT_FOUND)


def _refuse_method(request: Request) -> Response:
    raise KubeError(
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
    )
