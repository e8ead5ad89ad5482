"""The cluster's own API server (kubernetes client), reached with the kubeconfig ACK hands out.

Lists are read as JSON (`_preload_content=False`) into the few fields the checks use: the client's own
models cost about 60 ms of CPU to build per cluster's pods, which made a plan over hundreds of clusters
bound by the worker's CPU rather than by the cloud.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import urllib3
import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException

from workers.cloud.models import DeploymentAvailability, KubeNode, KubePod, OwnerRef, PodState, Workload
from workers.cloud.retry import RetryPolicy, call_with_retry
from workers.cloud.translate import cloud_error
from workers.errors import CloudError, InvalidRequest, Unavailable

SERVICE = "kubernetes"
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's when built with it: 10× faster
T = TypeVar("T")
_PAGE = 500


class KubeClient:
    """Nodes, pods and workloads of one cluster; every list follows `continue` to the end."""

    def __init__(self, *, kubeconfig: str, retry: RetryPolicy, timeout_s: float = 20.0) -> None:
        try:
            config_dict = yaml.load(kubeconfig, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
        except yaml.YAMLError as error:
            raise InvalidRequest(
                service=SERVICE, action="LoadKubeconfig", code="InvalidKubeconfig", message=str(error)
            ) from error
        if not isinstance(config_dict, dict):
            raise InvalidRequest(
                service=SERVICE, action="LoadKubeconfig", code="InvalidKubeconfig", message="not a kubeconfig"
            )
        api_client = k8s_config.new_client_from_config_dict(config_dict, persist_config=False)
        self._api_client = api_client
        self._core = k8s.CoreV1Api(api_client)
        self._apps = k8s.AppsV1Api(api_client)
        self._admission = k8s.AdmissionregistrationV1Api(api_client)
        self._retry = retry
        self._timeout_s = timeout_s

    def list_nodes(self) -> list[KubeNode]:
        items = self._list("ListNodes", self._core.list_node)
        return [_node_json(item) for item in items]

    def get_node(self, name: str) -> KubeNode:
        response: Any = self._call("GetNode", lambda: self._core.read_node(
            name, _request_timeout=self._timeout_s, _preload_content=False))
        return _node_json(json.loads(response.data))

    def delete_node(self, name: str) -> None:
        """`kubectl delete node NAME`; a node already gone raises NotFound for the caller to judge."""
        self._call("DeleteNode", lambda: self._core.delete_node(name, _request_timeout=self._timeout_s))

    def list_pods(self, node_name: str | None = None) -> list[KubePod]:
        selector = f"spec.nodeName={node_name}" if node_name else None
        items = self._list("ListPods", self._core.list_pod_for_all_namespaces, field_selector=selector)
        pods = [_pod_json(item) for item in items]
        # Filtered again here: the answer must be right even where a server ignores the selector.
        return [pod for pod in pods if node_name is None or pod.node_name == node_name]

    def list_daemonsets(self) -> list[Workload]:
        items = self._list("ListDaemonSets", self._apps.list_daemon_set_for_all_namespaces)
        return [_workload_json("DaemonSet", item) for item in items]

    def list_deployments(self) -> list[Workload]:
        items = self._list("ListDeployments", self._apps.list_deployment_for_all_namespaces)
        return [_workload_json("Deployment", item) for item in items]

    # --- what post-migration verification reads and writes (workers.verification) ---------------------

    @property
    def server(self) -> str:
        """The API server address the kubeconfig points at (`clusters[].cluster.server`)."""
        return str(self._api_client.configuration.host)

    def readyz(self) -> str:
        """`GET /readyz`: the API server's own readiness; "ok" when it serves
        (https://kubernetes.io/docs/reference/using-api/health-checks/)."""

        def get() -> str:
            # No typed API for /readyz: the request is built and authenticated the way the generated
            # methods build theirs (param_serialize with the BearerToken auth setting).
            method, url, headers, body, post = self._api_client.param_serialize(
                method="GET", resource_path="/readyz", header_params={"Accept": "text/plain"},
                auth_settings=["BearerToken"],
            )
            response = self._api_client.call_api(method, url, header_params=headers, body=body, post_params=post,
                                                 _request_timeout=self._timeout_s)
            response.read()
            if not 200 <= int(response.status) < 300:
                raise ApiException(http_resp=response)
            return bytes(response.data or b"").decode("utf-8", "replace").strip()

        return self._call("Readyz", get)

    def deployment_availability(self, namespace: str) -> list[DeploymentAvailability]:
        items = self._list("ListDeployments", lambda **kw: self._apps.list_namespaced_deployment(namespace, **kw))
        return [_availability_json(item) for item in items]

    def create_namespace(self, name: str, *, labels: dict[str, str]) -> None:
        """A namespace of our own; one that already exists (a retried run) is taken as created."""
        body = k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name, labels=labels))
        self._call("CreateNamespace", lambda: self._core.create_namespace(body, _request_timeout=self._timeout_s))

    def delete_namespace(self, name: str) -> None:
        self._call("DeleteNamespace", lambda: self._core.delete_namespace(name, _request_timeout=self._timeout_s))

    def create_pause_pod(self, namespace: str, name: str, *, image: str, labels: dict[str, str]) -> None:
        """A pause container that asks for almost nothing and tolerates nothing (so it may only land on a
        schedulable worker), never restarts, mounts no token and goes at once when deleted."""
        pod = k8s.V1Pod(
            metadata=k8s.V1ObjectMeta(name=name, labels=labels),
            spec=k8s.V1PodSpec(
                containers=[k8s.V1Container(
                    name="pause", image=image, image_pull_policy="IfNotPresent",
                    resources=k8s.V1ResourceRequirements(requests={"cpu": "10m", "memory": "16Mi"},
                                                         limits={"cpu": "50m", "memory": "32Mi"}),
                )],
                restart_policy="Never",
                automount_service_account_token=False,
                termination_grace_period_seconds=0,
            ),
        )
        self._call(
            "CreatePod", lambda: self._core.create_namespaced_pod(namespace, pod, _request_timeout=self._timeout_s)
        )

    def pod_state(self, namespace: str, name: str) -> PodState:
        item: Any = self._call(
            "GetPod", lambda: self._core.read_namespaced_pod(name, namespace, _request_timeout=self._timeout_s)
        )
        conditions = (item.status.conditions if item.status else None) or []
        scheduled = next((c for c in conditions if c.type == "PodScheduled"), None)
        return PodState(
            name=item.metadata.name,
            phase=(item.status.phase if item.status else None) or "",
            node_name=(item.spec.node_name if item.spec else None) or "",
            reason=(scheduled.reason or "") if scheduled is not None and scheduled.status != "True" else "",
            message=(scheduled.message or "") if scheduled is not None and scheduled.status != "True" else "",
        )

    def delete_pod(self, namespace: str, name: str) -> None:
        self._call(
            "DeletePod",
            lambda: self._core.delete_namespaced_pod(name, namespace, grace_period_seconds=0,
                                                     _request_timeout=self._timeout_s),
        )

    # --- what the terway steps around a migration touch (workers.terway_steps) ---------------------------

    def deployment_replicas(self, namespace: str, name: str) -> int:
        scale: Any = self._call("GetDeploymentScale", lambda: self._apps.read_namespaced_deployment_scale(
            name, namespace, _request_timeout=self._timeout_s))
        return int(scale.spec.replicas or 0) if scale.spec else 0

    def scale_deployment(self, namespace: str, name: str, replicas: int) -> None:
        """The scale subresource, as `kubectl scale` does it: only the replica count changes."""
        self._call("ScaleDeployment", lambda: self._apps.patch_namespaced_deployment_scale(
            name, namespace, {"spec": {"replicas": replicas}}, _request_timeout=self._timeout_s))

    def delete_deployment(self, namespace: str, name: str) -> None:
        self._call("DeleteDeployment", lambda: self._apps.delete_namespaced_deployment(
            name, namespace, _request_timeout=self._timeout_s))

    def webhook_configuration(self, kind: str, name: str) -> dict[str, Any]:
        """A Mutating/ValidatingWebhookConfiguration as plain JSON (what a backup keeps and a restore sends)."""
        read = self._admission_method(kind, "read")
        found = self._call(f"Get{kind}", lambda: read(name, _request_timeout=self._timeout_s))
        plain: dict[str, Any] = self._api_client.sanitize_for_serialization(found)
        return plain

    def create_webhook_configuration(self, kind: str, body: dict[str, Any]) -> None:
        create = self._admission_method(kind, "create")
        self._call(f"Create{kind}", lambda: create(body, _request_timeout=self._timeout_s))

    def delete_webhook_configuration(self, kind: str, name: str) -> None:
        delete = self._admission_method(kind, "delete")
        self._call(f"Delete{kind}", lambda: delete(name, _request_timeout=self._timeout_s))

    def _admission_method(self, kind: str, verb: str) -> Callable[..., Any]:
        snake = {"MutatingWebhookConfiguration": "mutating_webhook_configuration",
                 "ValidatingWebhookConfiguration": "validating_webhook_configuration"}[kind]
        method: Callable[..., Any] = getattr(self._admission, f"{verb}_{snake}")
        return method

    def _list(self, action: str, method: Callable[..., Any], **filters: Any) -> list[dict[str, Any]]:
        """Every item, as the API server's JSON, following `continue` to the end."""
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            kwargs = {key: value for key, value in filters.items() if value is not None}
            if token:
                kwargs["_continue"] = token

            def fetch(kwargs: dict[str, Any] = kwargs) -> dict[str, Any]:
                response = method(limit=_PAGE, _request_timeout=self._timeout_s, _preload_content=False, **kwargs)
                try:
                    body = json.loads(response.data)
                except ValueError as error:
                    raise Unavailable(service=SERVICE, action=action, code="InvalidJSON",
                                      message=f"the API server's answer is not JSON: {error}") from error
                return body if isinstance(body, dict) else {}

            page = self._call(action, fetch)
            items.extend(item for item in page.get("items") or [] if isinstance(item, dict))
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items

    def _call(self, action: str, call: Callable[[], T]) -> T:
        def attempt() -> T:
            try:
                return call()
            except ApiException as error:
                raise _translate(error, action=action) from error
            except urllib3.exceptions.HTTPError as error:
                raise Unavailable(
                    service=SERVICE, action=action, code=type(error).__name__, message=str(error)
                ) from error

        return call_with_retry(attempt, policy=self._retry)


def _translate(error: ApiException, *, action: str) -> CloudError:
    reason, message = str(error.reason or ""), ""
    try:
        status_body = json.loads(error.body) if error.body else {}
    except (ValueError, TypeError):
        status_body = {}
    if isinstance(status_body, dict):
        reason = str(status_body.get("reason") or reason)
        message = str(status_body.get("message") or "")
    headers = error.headers or {}
    return cloud_error(
        service=SERVICE,
        action=action,
        code=reason,
        message=message or str(error.reason or ""),
        request_id=str(headers.get("Audit-Id", "")),
        http_status=int(error.status) if error.status else None,
    )


def _node_json(item: dict[str, Any]) -> KubeNode:
    meta, spec, status = item.get("metadata") or {}, item.get("spec") or {}, item.get("status") or {}
    ready = next((c.get("status") for c in status.get("conditions") or [] if c.get("type") == "Ready"), "Unknown")
    return KubeNode(name=str(meta.get("name") or ""), provider_id=str(spec.get("providerID") or ""),
                    labels=dict(meta.get("labels") or {}), ready=str(ready))


def _availability_json(item: dict[str, Any]) -> DeploymentAvailability:
    """Available as the Deployment controller reports it (its `Available` condition), falling back to the
    replica counts where a server sends no conditions."""
    meta, spec, status = item.get("metadata") or {}, item.get("spec") or {}, item.get("status") or {}
    condition = next((c for c in status.get("conditions") or [] if c.get("type") == "Available"), None)
    ready = int(status.get("availableReplicas") or 0)
    wanted = int(spec["replicas"]) if spec.get("replicas") is not None else 1
    available = condition.get("status") == "True" if condition is not None else ready >= max(wanted, 1)
    return DeploymentAvailability(
        namespace=str(meta.get("namespace") or ""), name=str(meta.get("name") or ""), available=available,
        ready_replicas=ready, replicas=wanted,
    )


def _pod_json(item: dict[str, Any]) -> KubePod:
    meta, spec, status = item.get("metadata") or {}, item.get("spec") or {}, item.get("status") or {}
    return KubePod(
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        node_name=str(spec.get("nodeName") or ""),
        phase=str(status.get("phase") or ""),
        owners=tuple(OwnerRef(kind=str(o.get("kind") or ""), name=str(o.get("name") or ""))
                     for o in meta.get("ownerReferences") or []),
        annotations=dict(meta.get("annotations") or {}),
    )


def _workload_json(kind: str, item: dict[str, Any]) -> Workload:
    meta = item.get("metadata") or {}
    template = ((item.get("spec") or {}).get("template") or {}).get("spec") or {}
    containers = template.get("containers") or []
    env = {str(e["name"]): str(e.get("value") or "") for c in containers for e in c.get("env") or [] if e.get("name")}
    return Workload(
        kind=kind,
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        images=tuple(str(c.get("image") or "") for c in containers),
        labels=dict(meta.get("labels") or {}),
        env=env,
    )
