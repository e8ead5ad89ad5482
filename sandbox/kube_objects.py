"""Kubernetes objects and `Table` rows rendered from the world model, shaped as an ACK cluster serves them.

The objects are complete enough for the official Python client to deserialize them (it validates
required fields) and for the checks to see what they see on a real ACK cluster: ACK node names and
providerIDs, master labels and taints, the conditions and taints the node lifecycle controller sets when
a kubelet goes quiet, mirror pods owned by their Node, DaemonSet and ReplicaSet owner references.
Table cells follow the API server's own printers (pkg/printers/internalversion), because the server,
not kubectl, decides what `kubectl get` shows in STATUS, ROLES and AGE.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import time
import uuid
from typing import Any

from sandbox.world import Cluster, Node, Pod, Workload, iso

NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
"""Namespaces every cluster has, whether or not anything runs in them."""

MASTER_TAINT = {"key": "node-role.kubernetes.io/master", "effect": "NoSchedule"}
_HOST_NETWORK_DAEMONSETS = {
    "kube-proxy-master",
    "kube-proxy-worker",
    "terway-eniip",
    "csi-plugin",
    "node-problem-detector",
}
_OS_IMAGE = "Alibaba Cloud Linux (Aliyun Linux) 2.1903 LTS (Hunting Beagle)"
_KERNEL = "4.19.91-26.al7.x86_64"
_RUNTIME = "containerd://1.5.13"


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x00".join(parts).encode()).digest()


def _stable_uuid(*parts: str) -> str:
    return str(uuid.UUID(bytes=_digest(*parts)[:16], version=4))


def resource_version(*parts: str) -> str:
    """A resourceVersion that changes exactly when the parts that make up the object's state change."""
    return str(1_000_000 + int.from_bytes(_digest(*parts)[:4], "big") % 90_000_000)


def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration: the AGE column of every `kubectl get`."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rest = s % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        rest = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if rest == 0 else f"{hours // 24 // 365}y{rest}d"
    return f"{hours // 24 // 365}y"


def age(created: float) -> str:
    return human_duration(time.time() - created)


# --- nodes ------------------------------------------------------------------------------------------


def _cpus(instance_type: str) -> int:
    size = instance_type.rsplit(".", 1)[-1]
    if size == "large":
        return 2
    if size == "xlarge":
        return 4
    multiplier = size.removesuffix("xlarge")
    return 4 * int(multiplier) if multiplier.isdigit() else 4


def node_conditions(cluster: Cluster, node: Node) -> list[dict[str, Any]]:
    """The kubelet's conditions; when it stops posting, the node controller turns them all Unknown."""
    created = iso(node.created)
    if node.ready == "Unknown":
        went_quiet = max(cluster.updated, node.created)
        message = "Kubelet stopped posting node status."
        return [
            {
                "type": kind,
                "status": "Unknown",
                "lastHeartbeatTime": iso(went_quiet - 40),
                "lastTransitionTime": iso(went_quiet),
                "reason": "NodeStatusUnknown",
                "message": message,
            }
            for kind in ("MemoryPressure", "DiskPressure", "PIDPressure", "Ready")
        ]
    heartbeat = iso()
    pressure = [
        ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ]
    conditions = [
        {
            "type": kind,
            "status": "False",
            "lastHeartbeatTime": heartbeat,
            "lastTransitionTime": created,
            "reason": reason,
            "message": message,
        }
        for kind, reason, message in pressure
    ]
    if node.ready == "True":
        ready = {"status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status"}
    else:
        ready = {
            "status": "False",
            "reason": "KubeletNotReady",
            "message": "PLEG is not healthy: pleg was last seen active 3m0s ago; threshold is 3m0s",
        }
    conditions.append(
        {"type": "Ready", "lastHeartbeatTime": heartbeat, "lastTransitionTime": created, **ready}
    )
    return conditions


def node_taints(cluster: Cluster, node: Node) -> list[dict[str, Any]]:
    taints: list[dict[str, Any]] = [dict(MASTER_TAINT)] if node.is_master else []
    if node.ready != "True":
        key = "node.kubernetes.io/unreachable" if node.ready == "Unknown" else "node.kubernetes.io/not-ready"
        since = iso(max(cluster.updated, node.created))
        taints.append({"key": key, "effect": "NoSchedule", "timeAdded": since})
        taints.append({"key": key, "effect": "NoExecute", "timeAdded": since})
    return taints


def node_object(cluster: Cluster, node: Node) -> dict[str, Any]:
    cpus = _cpus(node.instance_type)
    memory_ki = cpus * 4 * 1024 * 1024 - 380_000
    capacity = {
        "cpu": str(cpus),
        "ephemeral-storage": "123722704Ki",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": f"{memory_ki}Ki",
        "pods": "64",
    }
    allocatable = {
        **capacity,
        "cpu": f"{cpus * 1000 - 100}m",
        "ephemeral-storage": "114022843818",
        "memory": f"{memory_ki - 1_500_000}Ki",
    }
    version = f"v{cluster.current_version}"
    machine = _digest("machine", node.uid).hex()[:32]
    return {
        "kind": "Node",
        "apiVersion": "v1",
        "metadata": {
            "name": node.name,
            "uid": node.uid,
            "resourceVersion": resource_version(node.uid, node.ready, str(cluster.updated)),
            "creationTimestamp": iso(node.created),
            "labels": dict(node.labels),
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": {"providerID": node.provider_id, "taints": node_taints(cluster, node)},
        "status": {
            "capacity": capacity,
            "allocatable": allocatable,
            "conditions": node_conditions(cluster, node),
            "addresses": [
                {"type": "InternalIP", "address": node.ip},
                {"type": "Hostname", "address": node.name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": machine,
                "systemUUID": _stable_uuid("system", node.uid).upper(),
                "bootID": _stable_uuid("boot", node.uid),
                "kernelVersion": _KERNEL,
                "osImage": _OS_IMAGE,
                "containerRuntimeVersion": _RUNTIME,
                "kubeletVersion": version,
                "kubeProxyVersion": version,
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }


def node_roles(labels: dict[str, str]) -> str:
    """printers' findNodeRoles: node-role.kubernetes.io/<role> labels and the older kubernetes.io/role."""
    roles = {key.split("/", 1)[1] for key in labels if key.startswith("node-role.kubernetes.io/")}
    if labels.get("kubernetes.io/role"):
        roles.add(labels["kubernetes.io/role"])
    return ",".join(sorted(r for r in roles if r)) or "<none>"


NODE_COLUMNS = (
    ("Name", "string", "name", 0, "Name must be unique within a namespace."),
    ("Status", "string", "", 0, "The status of the node"),
    ("Roles", "string", "", 0, "The roles of the node"),
    (
        "Age",
        "string",
        "",
        0,
        "CreationTimestamp is a timestamp representing the server time when this object was created.",
    ),
    ("Version", "string", "", 0, "Kubelet Version reported by the node."),
    ("Internal-IP", "string", "", 1, "List of addresses reachable to the node."),
    ("External-IP", "string", "", 1, "List of addresses reachable to the node."),
    (
        "OS-Image",
        "string",
        "",
        1,
        "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
    ),
    (
        "Kernel-Version",
        "string",
        "",
        1,
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
    ),
    (
        "Container-Runtime",
        "string",
        "",
        1,
        "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
    ),
)


def node_cells(node: dict[str, Any]) -> list[Any]:
    """printNode: Ready → "Ready", anything else (False or Unknown) → "NotReady"."""
    ready = next((c for c in node["status"]["conditions"] if c["type"] == "Ready"), None)
    status = "Unknown" if ready is None else ("Ready" if ready["status"] == "True" else "NotReady")
    if node["spec"].get("unschedulable"):
        status += ",SchedulingDisabled"
    addresses = {a["type"]: a["address"] for a in node["status"]["addresses"]}
    info = node["status"]["nodeInfo"]
    return [
        node["metadata"]["name"],
        status,
        node_roles(node["metadata"]["labels"]),
        human_duration(time.time() - _parse_iso(node["metadata"]["creationTimestamp"])),
        info["kubeletVersion"],
        addresses.get("InternalIP", "<none>"),
        addresses.get("ExternalIP", "<none>"),
        info["osImage"],
        info["kernelVersion"],
        info["containerRuntimeVersion"],
    ]


def _parse_iso(text: str) -> float:
    return float(calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")))


# --- pods -------------------------------------------------------------------------------------------


def _container_name(pod: Pod) -> str:
    if pod.mirror:
        return pod.labels.get("component", pod.name)
    return pod.labels.get("app", pod.owner_name or pod.name)


def _pod_ip(cluster: Cluster, pod: Pod, node: Node | None, host_network: bool) -> str | None:
    if node is None:
        return None
    if host_network:
        return node.ip
    h = _digest("ip", pod.uid)
    return f"172.{20 + cluster.subnet % 10}.{h[0]}.{h[1] % 250 + 2}"


def _owner_references(cluster: Cluster, pod: Pod, node: Node | None) -> list[dict[str, Any]]:
    if pod.owner_kind == "Node":
        uid = node.uid if node else _stable_uuid("node", pod.node_name)
        return [
            {
                "apiVersion": "v1",
                "kind": "Node",
                "name": pod.owner_name or pod.node_name,
                "uid": uid,
                "controller": True,
            }
        ]
    if pod.owner_kind == "DaemonSet":
        workload = find_workload(cluster, "DaemonSet", pod.namespace, pod.owner_name or "")
        uid = workload.uid if workload else _stable_uuid("ds", pod.namespace, pod.owner_name or "")
        return [
            {
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "name": pod.owner_name,
                "uid": uid,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    if pod.owner_kind == "ReplicaSet":
        return [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": pod.owner_name,
                "uid": _stable_uuid(cluster.cluster_id, "rs", pod.namespace, pod.owner_name or ""),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    return []


def find_workload(cluster: Cluster, kind: str, namespace: str, name: str) -> Workload | None:
    return next(
        (w for w in cluster.workloads if w.kind == kind and w.namespace == namespace and w.name == name), None
    )


def pod_object(cluster: Cluster, pod: Pod) -> dict[str, Any]:
    node = cluster.node(pod.node_name) if pod.node_name else None
    host_network = pod.mirror or (
        pod.owner_kind == "DaemonSet" and pod.owner_name in _HOST_NETWORK_DAEMONSETS
    )
    labels = dict(pod.labels)
    annotations: dict[str, str] = {}
    if pod.mirror:
        config_hash = _digest("config", pod.uid).hex()[:32]
        annotations = {
            "kubernetes.io/config.hash": config_hash,
            "kubernetes.io/config.mirror": config_hash,
            "kubernetes.io/config.seen": iso(pod.created),
            "kubernetes.io/config.source": "file",
        }
    elif pod.owner_kind == "DaemonSet":
        labels.update(
            {
                "controller-revision-hash": _digest("rev", pod.owner_name or "").hex()[:10],
                "pod-template-generation": "1",
            }
        )
    elif pod.owner_kind == "ReplicaSet" and pod.owner_name and "-" in pod.owner_name:
        labels["pod-template-hash"] = pod.owner_name.rsplit("-", 1)[1]
    system = pod.namespace == "kube-system" and (pod.mirror or pod.owner_kind == "DaemonSet")
    spec: dict[str, Any] = {
        "containers": [
            {
                "name": _container_name(pod),
                "image": pod.image,
                "resources": {},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "imagePullPolicy": "IfNotPresent",
            }
        ],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "serviceAccountName": "default",
        "serviceAccount": "default",
        "securityContext": {},
        "schedulerName": "default-scheduler",
        "tolerations": _pod_tolerations(pod),
        "priority": 2000001000 if system else 0,
        "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority",
    }
    if system:
        spec["priorityClassName"] = "system-node-critical"
    if host_network:
        spec["hostNetwork"] = True
    if pod.node_name:
        spec["nodeName"] = pod.node_name
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {
            "name": pod.name,
            "namespace": pod.namespace,
            "uid": pod.uid,
            "resourceVersion": resource_version(pod.uid, node.ready if node else "", pod.phase),
            "creationTimestamp": iso(pod.created),
            "labels": labels,
            **({"annotations": annotations} if annotations else {}),
            **({"ownerReferences": owners} if (owners := _owner_references(cluster, pod, node)) else {}),
        },
        "spec": spec,
        "status": _pod_status(cluster, pod, node, host_network),
    }


def _pod_tolerations(pod: Pod) -> list[dict[str, Any]]:
    if pod.mirror:
        return [{"operator": "Exists", "effect": "NoExecute"}]
    if pod.owner_kind == "DaemonSet":
        return [{"operator": "Exists"}] + [
            {"key": key, "operator": "Exists", "effect": effect}
            for key, effect in (
                ("node.kubernetes.io/not-ready", "NoExecute"),
                ("node.kubernetes.io/unreachable", "NoExecute"),
                ("node.kubernetes.io/disk-pressure", "NoSchedule"),
                ("node.kubernetes.io/memory-pressure", "NoSchedule"),
                ("node.kubernetes.io/pid-pressure", "NoSchedule"),
                ("node.kubernetes.io/unschedulable", "NoSchedule"),
            )
        ]
    return [
        {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
        for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")
    ]


def _pod_status(cluster: Cluster, pod: Pod, node: Node | None, host_network: bool) -> dict[str, Any]:
    started = iso(pod.created + 2)
    if node is None or pod.phase == "Pending":
        return {
            "phase": "Pending",
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "lastProbeTime": None,
                    "lastTransitionTime": iso(pod.created),
                    "reason": "Unschedulable",
                    "message": "0/0 nodes are available: no nodes available to schedule pods.",
                }
            ],
            "qosClass": "BestEffort",
        }
    # When a node stops reporting, the node controller marks its pods not Ready (they stay Running).
    ready = "True" if node.ready == "True" and pod.phase == "Running" else "False"
    ip = _pod_ip(cluster, pod, node, host_network)
    condition_times = {"lastProbeTime": None, "lastTransitionTime": started}
    container = _container_name(pod)
    return {
        "phase": pod.phase,
        "conditions": [
            {"type": "Initialized", "status": "True", **condition_times},
            {"type": "Ready", "status": ready, **condition_times},
            {"type": "ContainersReady", "status": ready, **condition_times},
            {"type": "PodScheduled", "status": "True", **condition_times},
        ],
        "hostIP": node.ip,
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": iso(pod.created + 1),
        "containerStatuses": [
            {
                "name": container,
                "state": {"running": {"startedAt": started}},
                "lastState": {},
                "ready": ready == "True",
                "restartCount": 0,
                "image": pod.image,
                "imageID": f"{pod.image.split(':', 1)[0]}@sha256:{_digest('image', pod.image).hex()}",
                "containerID": f"containerd://{_digest('container', pod.uid).hex()}",
                "started": True,
            }
        ],
        "qosClass": "BestEffort",
    }


POD_COLUMNS = (
    ("Name", "string", "name", 0, "Name must be unique within a namespace."),
    ("Ready", "string", "", 0, "The aggregate readiness state of this pod for accepting traffic."),
    ("Status", "string", "", 0, "The aggregate status of the containers in this pod."),
    (
        "Restarts",
        "string",
        "",
        0,
        "The number of times the containers in this pod have been restarted and when the last container"
        " in this pod has restarted.",
    ),
    (
        "Age",
        "string",
        "",
        0,
        "CreationTimestamp is a timestamp representing the server time when this object was created.",
    ),
    (
        "IP",
        "string",
        "",
        1,
        "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
    ),
    ("Node", "string", "", 1, "NodeName is a request to schedule this pod onto a specific node."),
    (
        "Nominated Node",
        "string",
        "",
        1,
        "nominatedNodeName is set only when this pod preempts other pods on the node.",
    ),
    (
        "Readiness Gates",
        "string",
        "",
        1,
        "If specified, all readiness gates will be evaluated for pod readiness.",
    ),
)


def pod_cells(pod: dict[str, Any]) -> list[Any]:
    statuses = pod["status"].get("containerStatuses") or []
    ready = sum(1 for s in statuses if s["ready"] and "running" in s["state"])
    total = len(pod["spec"]["containers"])
    restarts = sum(s["restartCount"] for s in statuses)
    return [
        pod["metadata"]["name"],
        f"{ready}/{total}",
        pod["status"].get("reason") or pod["status"]["phase"],
        str(restarts),
        human_duration(time.time() - _parse_iso(pod["metadata"]["creationTimestamp"])),
        pod["status"].get("podIP") or "<none>",
        pod["spec"].get("nodeName") or "<none>",
        "<none>",
        "<none>",
    ]


# --- workloads --------------------------------------------------------------------------------------


def workload_pods(cluster: Cluster, workload: Workload) -> list[Pod]:
    """The pods a DaemonSet or Deployment owns that are still on a node Kubernetes knows."""
    pods = [
        p
        for p in cluster.kube_pods + [p for p in cluster.pods if not p.node_name]
        if p.namespace == workload.namespace
    ]
    if workload.kind == "DaemonSet":
        return [p for p in pods if p.owner_kind == "DaemonSet" and p.owner_name == workload.name]
    return [
        p
        for p in pods
        if p.owner_kind == "ReplicaSet" and p.owner_name and p.owner_name.rsplit("-", 1)[0] == workload.name
    ]


def _ready_pods(cluster: Cluster, pods: list[Pod]) -> int:
    ready = 0
    for pod in pods:
        node = cluster.node(pod.node_name) if pod.node_name else None
        if node is not None and node.ready == "True" and pod.phase == "Running":
            ready += 1
    return ready


def _template(cluster: Cluster, workload: Workload) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": workload.name,
        "image": workload.image,
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
    }
    spec: dict[str, Any] = {
        "containers": [container],
        "restartPolicy": "Always",
        "dnsPolicy": "ClusterFirst",
        "schedulerName": "default-scheduler",
        "terminationGracePeriodSeconds": 30,
    }
    if workload.kind == "DaemonSet":
        if workload.node_role == "Master":
            spec["nodeSelector"] = {"node-role.kubernetes.io/master": ""}
        elif workload.node_role == "Worker":
            spec["affinity"] = {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {"key": "node-role.kubernetes.io/master", "operator": "DoesNotExist"}
                                ]
                            }
                        ]
                    }
                }
            }
        if workload.name in _HOST_NETWORK_DAEMONSETS:
            spec["hostNetwork"] = True
        spec["tolerations"] = [{"operator": "Exists"}]
    return {"metadata": {"labels": dict(workload.labels)}, "spec": spec}


def _workload_metadata(workload: Workload, extra: dict[str, str], state: str) -> dict[str, Any]:
    return {
        "name": workload.name,
        "namespace": workload.namespace,
        "uid": workload.uid,
        "resourceVersion": resource_version(workload.uid, state),
        "generation": 1,
        "creationTimestamp": iso(workload.created),
        "labels": dict(workload.labels),
        "annotations": extra,
    }


def daemonset_object(cluster: Cluster, workload: Workload) -> dict[str, Any]:
    eligible = [n for n in cluster.kube_nodes if workload.node_role is None or n.role == workload.node_role]
    pods = workload_pods(cluster, workload)
    ready = _ready_pods(cluster, pods)
    status: dict[str, Any] = {
        "currentNumberScheduled": len(pods),
        "numberMisscheduled": 0,
        "desiredNumberScheduled": len(eligible),
        "numberReady": ready,
        "observedGeneration": 1,
        "updatedNumberScheduled": len(pods),
        "numberAvailable": ready,
    }
    if len(eligible) > ready:
        status["numberUnavailable"] = len(eligible) - ready
    return {
        "kind": "DaemonSet",
        "apiVersion": "apps/v1",
        "metadata": _workload_metadata(
            workload,
            {"deprecated.daemonset.template.generation": "1"},
            f"{len(pods)}/{ready}/{len(eligible)}",
        ),
        "spec": {
            "selector": {"matchLabels": {"app": workload.labels.get("app", workload.name)}},
            "template": _template(cluster, workload),
            "updateStrategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
            },
            "revisionHistoryLimit": 10,
        },
        "status": status,
    }


def deployment_object(cluster: Cluster, workload: Workload) -> dict[str, Any]:
    pods = workload_pods(cluster, workload)
    replica_set = pods[0].owner_name if pods else workload.name
    ready = _ready_pods(cluster, pods)
    available = ready >= workload.replicas
    since = iso(workload.created + 5)
    status: dict[str, Any] = {
        "observedGeneration": 1,
        "replicas": len(pods),
        "updatedReplicas": len(pods),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "conditions": [
            {
                "type": "Available",
                "status": "True" if available else "False",
                "lastUpdateTime": since,
                "lastTransitionTime": since,
                "reason": "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
                "message": "Deployment has minimum availability."
                if available
                else "Deployment does not have minimum availability.",
            },
            {
                "type": "Progressing",
                "status": "True",
                "lastUpdateTime": since,
                "lastTransitionTime": iso(workload.created),
                "reason": "NewReplicaSetAvailable",
                "message": f'ReplicaSet "{replica_set}" has successfully progressed.',
            },
        ],
    }
    if len(pods) > ready:
        status["unavailableReplicas"] = len(pods) - ready
    return {
        "kind": "Deployment",
        "apiVersion": "apps/v1",
        "metadata": _workload_metadata(
            workload, {"deployment.kubernetes.io/revision": "1"}, f"{len(pods)}/{ready}"
        ),
        "spec": {
            "replicas": workload.replicas,
            "selector": {"matchLabels": {"app": workload.labels.get("app", workload.name)}},
            "template": _template(cluster, workload),
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
            },
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
        },
        "status": status,
    }


_AGE = (
    "Age",
    "string",
    "",
    0,
    "CreationTimestamp is a timestamp representing the server time when this object was created.",
)
_CONTAINERS = ("Containers", "string", "", 1, "Names of each container in the template.")
_IMAGES = ("Images", "string", "", 1, "Images referenced by each container in the template.")
_SELECTOR = ("Selector", "string", "", 1, "Label selector for pods.")

DAEMONSET_COLUMNS = (
    ("Name", "string", "name", 0, "Name must be unique within a namespace."),
    ("Desired", "integer", "", 0, "The total number of nodes that should be running the daemon pod."),
    ("Current", "integer", "", 0, "The number of nodes that are running at least 1 daemon pod."),
    (
        "Ready",
        "integer",
        "",
        0,
        "The number of nodes that should be running the daemon pod and have one or more of the daemon pod"
        " running and ready.",
    ),
    ("Up-to-date", "integer", "", 0, "The total number of nodes that are running updated daemon pod"),
    (
        "Available",
        "integer",
        "",
        0,
        "The number of nodes that should be running the daemon pod and have one or more of the daemon pod"
        " running and available.",
    ),
    (
        "Node Selector",
        "string",
        "",
        0,
        "NodeSelector is a selector which must be true for the pod to fit on a node.",
    ),
    _AGE,
    _CONTAINERS,
    _IMAGES,
    _SELECTOR,
)

DEPLOYMENT_COLUMNS = (
    ("Name", "string", "name", 0, "Name must be unique within a namespace."),
    ("Ready", "string", "", 0, "Number of the pod with ready state"),
    (
        "Up-to-date",
        "string",
        "",
        0,
        "Total number of non-terminated pods targeted by this deployment that have the desired template"
        " spec.",
    ),
    (
        "Available",
        "string",
        "",
        0,
        "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
    ),
    _AGE,
    _CONTAINERS,
    _IMAGES,
    _SELECTOR,
)


def _template_cells(obj: dict[str, Any]) -> list[str]:
    containers = obj["spec"]["template"]["spec"]["containers"]
    selector = obj["spec"]["selector"]["matchLabels"]
    return [
        ",".join(c["name"] for c in containers),
        ",".join(c["image"] for c in containers),
        ",".join(f"{k}={v}" for k, v in sorted(selector.items())),
    ]


def _created_age(obj: dict[str, Any]) -> str:
    return human_duration(time.time() - _parse_iso(obj["metadata"]["creationTimestamp"]))


def daemonset_cells(obj: dict[str, Any]) -> list[Any]:
    status = obj["status"]
    node_selector = obj["spec"]["template"]["spec"].get("nodeSelector") or {}
    return [
        obj["metadata"]["name"],
        status["desiredNumberScheduled"],
        status["currentNumberScheduled"],
        status["numberReady"],
        status["updatedNumberScheduled"],
        status["numberAvailable"],
        ",".join(f"{k}={v}" for k, v in sorted(node_selector.items())) or "<none>",
        _created_age(obj),
        *_template_cells(obj),
    ]


def deployment_cells(obj: dict[str, Any]) -> list[Any]:
    status = obj["status"]
    return [
        obj["metadata"]["name"],
        f"{status['readyReplicas']}/{obj['spec']['replicas']}",
        status["updatedReplicas"],
        status["availableReplicas"],
        _created_age(obj),
        *_template_cells(obj),
    ]


# --- namespaces -------------------------------------------------------------------------------------


def namespace_names(cluster: Cluster) -> list[str]:
    names = (set(NAMESPACES) | {p.namespace for p in cluster.pods} | {w.namespace for w in cluster.workloads}
             | cluster.created_namespaces)
    return sorted(names)


def namespace_object(cluster: Cluster, name: str) -> dict[str, Any]:
    return {
        "kind": "Namespace",
        "apiVersion": "v1",
        "metadata": {
            "name": name,
            "uid": _stable_uuid(cluster.cluster_id, "namespace", name),
            "resourceVersion": resource_version(cluster.cluster_id, name),
            "creationTimestamp": iso(cluster.created),
            "labels": {"kubernetes.io/metadata.name": name},
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


NAMESPACE_COLUMNS = (
    ("Name", "string", "name", 0, "Name must be unique within a namespace."),
    ("Status", "string", "", 0, "The status of the namespace"),
    _AGE,
)


def namespace_cells(obj: dict[str, Any]) -> list[Any]:
    return [obj["metadata"]["name"], obj["status"]["phase"], _created_age(obj)]


# --- admission webhook configurations ----------------------------------------------------------------


def webhook_configuration_object(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored Mutating/ValidatingWebhookConfiguration as the server shows it (resourceVersion from content)."""
    obj = json.loads(json.dumps(stored))
    obj["metadata"]["resourceVersion"] = resource_version(json.dumps(stored, sort_keys=True))
    obj["metadata"].setdefault("generation", 1)
    return obj


WEBHOOK_COLUMNS = (
    ("Name", "string", "name", 0, "Name must be unique within a namespace."),
    ("Webhooks", "integer", "", 0, "Webhooks indicates the number of webhooks in the configuration."),
    _AGE,
)


def webhook_cells(obj: dict[str, Any]) -> list[Any]:
    return [obj["metadata"]["name"], len(obj.get("webhooks") or []), _created_age(obj)]
