"""The cluster's own API server (kubernetes client), reached with the kubeconfig ACK hands out."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import urllib3
import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException

from workers.cloud.models import KubeNode, KubePod, OwnerRef, Workload
from workers.cloud.retry import RetryPolicy, call_with_retry
from workers.cloud.translate import cloud_error
from workers.errors import CloudError, InvalidRequest, Unavailable

SERVICE = "kubernetes"
T = TypeVar("T")
_PAGE = 500


class KubeClient:
    """Nodes, pods and workloads of one cluster; every list follows `continue` to the end."""

    def __init__(self, *, kubeconfig: str, retry: RetryPolicy, timeout_s: float = 20.0) -> None:
        try:
            config_dict = yaml.safe_load(kubeconfig)
        except yaml.YAMLError as error:
            raise InvalidRequest(
                service=SERVICE, action="LoadKubeconfig", code="InvalidKubeconfig", message=str(error)
            ) from error
        if not isinstance(config_dict, dict):
            raise InvalidRequest(
                service=SERVICE, action="LoadKubeconfig", code="InvalidKubeconfig", message="not a kubeconfig"
            )
        api_client = k8s_config.new_client_from_config_dict(config_dict, persist_config=False)
        self._core = k8s.CoreV1Api(api_client)
        self._apps = k8s.AppsV1Api(api_client)
        self._retry = retry
        self._timeout_s = timeout_s

    def list_nodes(self) -> list[KubeNode]:
        items = self._list("ListNodes", self._core.list_node)
        return [_node(item) for item in items]

    def get_node(self, name: str) -> KubeNode:
        return _node(
            self._call("GetNode", lambda: self._core.read_node(name, _request_timeout=self._timeout_s))
        )

    def delete_node(self, name: str) -> None:
        """`kubectl delete node NAME`; a node already gone raises NotFound for the caller to judge."""
        self._call("DeleteNode", lambda: self._core.delete_node(name, _request_timeout=self._timeout_s))

    def list_pods(self, node_name: str | None = None) -> list[KubePod]:
        selector = f"spec.nodeName={node_name}" if node_name else None
        items = self._list("ListPods", self._core.list_pod_for_all_namespaces, field_selector=selector)
        pods = [_pod(item) for item in items]
        # Filtered again here: the answer must be right even where a server ignores the selector.
        return [pod for pod in pods if node_name is None or pod.node_name == node_name]

    def list_daemonsets(self) -> list[Workload]:
        items = self._list("ListDaemonSets", self._apps.list_daemon_set_for_all_namespaces)
        return [_workload("DaemonSet", item) for item in items]

    def list_deployments(self) -> list[Workload]:
        items = self._list("ListDeployments", self._apps.list_deployment_for_all_namespaces)
        return [_workload("Deployment", item) for item in items]

    def _list(self, action: str, method: Callable[..., Any], **filters: Any) -> list[Any]:
        items: list[Any] = []
        token: str | None = None
        while True:
            kwargs = {key: value for key, value in filters.items() if value is not None}
            if token:
                kwargs["_continue"] = token

            def fetch(kwargs: dict[str, Any] = kwargs) -> Any:
                return method(limit=_PAGE, _request_timeout=self._timeout_s, **kwargs)

            page = self._call(action, fetch)
            items.extend(page.items or [])
            token = page.metadata._continue if page.metadata else None
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


def _node(item: Any) -> KubeNode:
    conditions = (item.status.conditions if item.status else None) or []
    ready = next((c.status for c in conditions if c.type == "Ready"), "Unknown")
    return KubeNode(
        name=item.metadata.name,
        provider_id=(item.spec.provider_id if item.spec else None) or "",
        labels=dict(item.metadata.labels or {}),
        ready=str(ready),
    )


def _pod(item: Any) -> KubePod:
    owners = tuple(OwnerRef(kind=o.kind, name=o.name) for o in item.metadata.owner_references or [])
    return KubePod(
        namespace=item.metadata.namespace or "",
        name=item.metadata.name,
        node_name=(item.spec.node_name if item.spec else None) or "",
        phase=(item.status.phase if item.status else None) or "",
        owners=owners,
        annotations=dict(item.metadata.annotations or {}),
    )


def _workload(kind: str, item: Any) -> Workload:
    template = item.spec.template.spec if item.spec and item.spec.template else None
    containers = (template.containers if template else None) or []
    env = {e.name: e.value or "" for c in containers for e in (c.env or []) if e.name}
    return Workload(
        kind=kind,
        namespace=item.metadata.namespace or "",
        name=item.metadata.name,
        images=tuple(c.image or "" for c in containers),
        labels=dict(item.metadata.labels or {}),
        env=env,
    )
