"""The discovery documents of the simulated API server: what kubectl reads before it asks for anything.

kubectl resolves `get no`, `get ds` or `delete node X` from these documents (resource names, short names,
scope, verbs), so they advertise exactly the resources and verbs the sandbox answers and nothing more: a
verb listed here that the server then refused would make kubectl fail in ways a real cluster never does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.world import Cluster


@dataclass(frozen=True)
class Resource:
    """One REST resource as discovery describes it (metav1.APIResource)."""

    name: str  # plural, as in the URL: nodes
    singular: str
    kind: str
    group: str  # "" for the core group
    version: str
    namespaced: bool
    verbs: tuple[str, ...]
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """How the API server names the resource in messages: `nodes`, `deployments.apps`."""
        return f"{self.name}.{self.group}" if self.group else self.name


RESOURCES: tuple[Resource, ...] = (
    Resource("namespaces", "namespace", "Namespace", "", "v1", False, ("create", "delete", "get", "list"), ("ns",)),
    Resource("nodes", "node", "Node", "", "v1", False, ("delete", "get", "list"), ("no",)),
    Resource("pods", "pod", "Pod", "", "v1", True, ("create", "delete", "get", "list"), ("po",), ("all",)),
    Resource("daemonsets", "daemonset", "DaemonSet", "apps", "v1", True, ("get", "list"), ("ds",), ("all",)),
    Resource(
        "deployments", "deployment", "Deployment", "apps", "v1", True, ("delete", "get", "list", "patch"), ("deploy",),
        ("all",),
    ),
    Resource("deployments/scale", "", "Scale", "apps", "v1", True, ("get", "patch", "update")),
    Resource(
        "mutatingwebhookconfigurations", "mutatingwebhookconfiguration", "MutatingWebhookConfiguration",
        "admissionregistration.k8s.io", "v1", False, ("create", "delete", "get", "list"),
        (), ("api-extensions",),
    ),
    Resource(
        "validatingwebhookconfigurations", "validatingwebhookconfiguration", "ValidatingWebhookConfiguration",
        "admissionregistration.k8s.io", "v1", False, ("create", "delete", "get", "list"),
        (), ("api-extensions",),
    ),
)
"""Everything the sandbox's Kubernetes API serves."""


def find_resource(group_version: str, name: str) -> Resource | None:
    return next((r for r in RESOURCES if r.group_version == group_version and r.name == name), None)


def version_info(cluster: Cluster) -> dict[str, Any]:
    """`GET /version`, as `kubectl version` prints it: ACK's build of the cluster's Kubernetes version."""
    semantic = cluster.current_version.split("-", 1)[0]
    major, minor = (semantic.split(".") + ["0", "0"])[:2]
    return {
        "major": major,
        "minor": minor,
        "gitVersion": f"v{cluster.current_version}",
        "gitCommit": "a3d5bdfb3b6ce1ab8f40bcb1b9b6b2d4b7b4f4c1",
        "gitTreeState": "clean",
        "buildDate": "2022-11-09T08:01:21Z",
        "goVersion": "go1.16.15",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def api_versions(cluster: Cluster) -> dict[str, Any]:
    """`GET /api`: the core group's versions and the address clients inside the VPC use."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": f"192.168.{cluster.subnet}.250:6443"}
        ],
    }


def _group(name: str) -> dict[str, Any]:
    versions = sorted({r.version for r in RESOURCES if r.group == name})
    entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def api_group_list() -> dict[str, Any]:
    """`GET /apis`: the named groups (only apps here)."""
    groups = sorted({r.group for r in RESOURCES if r.group})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group(g) for g in groups]}


def api_group(name: str) -> dict[str, Any] | None:
    """`GET /apis/{group}`, or None for a group the server does not have."""
    if not any(r.group == name for r in RESOURCES if r.group):
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name)}


def api_resource_list(group_version: str) -> dict[str, Any] | None:
    """`GET /api/v1` or `/apis/apps/v1`, or None for a group version the server does not have."""
    resources = [r for r in RESOURCES if r.group_version == group_version]
    if not resources:
        return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": [_api_resource(r) for r in resources],
    }


def _api_resource(resource: Resource) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": resource.name,
        "singularName": resource.singular,
        "namespaced": resource.namespaced,
        "kind": resource.kind,
        "verbs": list(resource.verbs),
    }
    if resource.kind == "Scale":  # a scale subresource speaks autoscaling/v1 Scale, whatever its parent's group
        entry.update({"group": "autoscaling", "version": "v1"})
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if resource.categories:
        entry["categories"] = list(resource.categories)
    return entry
