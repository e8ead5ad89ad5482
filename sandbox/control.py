"""The sandbox's own control API under `/_sandbox/` on the ACK port (the README's control API table).

Tests, the demo and rehearsal scripts shape the simulated world through it over plain HTTP, so they work
the same against an in-process sandbox and against `ackmigrate sandbox` in another process. It is not an
Alibaba Cloud API: no signatures, plain JSON, errors as `{"error": text}` with 400/404.

Faults (`POST /_sandbox/faults`) take, beyond the original fields, `"delay_response": true` (with
`latency_ms`, without `http_status`): the call is applied and logged at once and only its answer waits
`latency_ms` — the call log shows it while the caller is still waiting.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sandbox.calls import FaultError
from sandbox.httpserver import Request, Response
from sandbox.world import Cluster, SpecError, Task, World, iso

PREFIX = "/_sandbox/"


class ControlApi:
    def __init__(self, world: World) -> None:
        self.world = world

    def handle(self, request: Request) -> Response | None:
        """Answer a `/_sandbox/` request; None lets the cloud service on this port answer it."""
        if not request.path.startswith(PREFIX):
            return None
        path = request.path[len(PREFIX) :].rstrip("/")
        try:
            return self._dispatch(request, path)
        except (SpecError, FaultError) as error:
            return _error(400, str(error))
        except (ValueError, TypeError) as error:
            return _error(400, f"bad request: {error}")

    def _dispatch(self, request: Request, path: str) -> Response:
        method = request.method
        if path.startswith("slack/") or path == "slack":
            from sandbox.slack import handle_slack_control  # the Slack stand-in's own control endpoints

            answered: Response | None = handle_slack_control(self.world, request)
            return answered if answered is not None else _error(404, f"no control endpoint {method} {request.path}")
        if path == "clusters" and method == "POST":
            return self._create_cluster(request)
        if path == "clusters" and method == "GET":
            with self.world.lock:
                self.world.advance()
                return Response.json([cluster_dump(self.world, c) for c in self.world.clusters.values()])
        match = re.fullmatch(r"clusters/([^/]+)", path)
        if match and method == "GET":
            return self._cluster(match.group(1))
        if match and method == "PATCH":
            return self._change_cluster(match.group(1), request)
        if path == "buckets" and method == "POST":
            return self._create_bucket(request)
        if path == "accounts" and method == "POST":
            return self._add_account(request)
        if path == "accounts" and method == "GET":
            return Response.json([{"account_id": a.account_id, "alias": a.alias, "role_arn": a.role_arn}
                                  for a in self.world.accounts.values()])
        if path == "quotas" and method == "POST":  # {"account", "amk_cluster_quota", …}
            spec = _object(request)
            with self.world.lock:
                account_id = self.world.account_named(spec.pop("account", None))
                self.world.set_quotas(account_id, spec)
                return Response.json(self.world.quotas_of(account_id))
        if path == "credentials" and method == "POST":
            return self._add_credential(request)
        if path == "calls" and method == "GET":
            calls = self.world.calls.list(service=request.arg("service") or None, action=request.arg("action") or None)
            return Response.json([c.to_dict() for c in calls])
        if path == "calls" and method == "DELETE":
            self.world.calls.clear()
            return Response.json({"cleared": True})
        if path == "faults" and method == "POST":
            fault = self.world.faults.add(_object(request))
            return Response.json(vars(fault))
        if path == "faults" and method == "DELETE":
            self.world.faults.clear()
            return Response.json({"cleared": True})
        if path == "faults" and method == "GET":
            return Response.json([vars(f) for f in self.world.faults.list()])
        return _error(404, f"no control endpoint {method} {request.path}")

    def _create_cluster(self, request: Request) -> Response:
        spec = _object(request)
        with self.world.lock:
            cluster = self.world.create_cluster(spec)
        return Response.json({"cluster_id": cluster.cluster_id, "name": cluster.name})

    def _cluster(self, cluster_id: str) -> Response:
        with self.world.lock:
            self.world.advance()
            cluster = self.world.cluster(cluster_id) or next(
                (c for c in self.world.clusters.values() if c.name == cluster_id), None
            )
            if cluster is None:
                return _error(404, f"no cluster {cluster_id}")
            return Response.json(cluster_dump(self.world, cluster))

    def _change_cluster(self, cluster_id: str, request: Request) -> Response:
        """Change a cluster under a request that is already posted: what an approval must notice.

        Only what someone could change outside ackmigrate between request and approval: `state`,
        `current_version` (an upgrade) and `cloud_assistant` (true/false for every master).
        """
        changes = _object(request)
        unknown = sorted(set(changes) - {"state", "current_version", "cloud_assistant"})
        if unknown:
            raise SpecError(f"a cluster can be changed only in state, current_version, cloud_assistant "
                            f"(got {', '.join(unknown)})")
        with self.world.lock:
            cluster = self.world.cluster(cluster_id)
            if cluster is None:
                return _error(404, f"no cluster {cluster_id}")
            for name in ("state", "current_version"):
                if name in changes:
                    if not isinstance(changes[name], str) or not changes[name]:
                        raise SpecError(f"{name} must be a non-empty string")
                    setattr(cluster, name, changes[name])
            if "cloud_assistant" in changes:
                if not isinstance(changes["cloud_assistant"], bool):
                    raise SpecError("cloud_assistant must be true or false")
                for master in cluster.masters:
                    master.cloud_assistant = changes["cloud_assistant"]
            return Response.json(cluster_dump(self.world, cluster))

    def _create_bucket(self, request: Request) -> Response:
        with self.world.lock:
            bucket = self.world.create_bucket(_object(request))
        return Response.json({"name": bucket.name, "region_id": bucket.region_id, "location": bucket.location})

    def _add_account(self, request: Request) -> Response:
        """Another account: its own clusters, buckets and roles, reachable only by assuming `role_arn`."""
        with self.world.lock:
            account = self.world.add_account(_object(request))
        return Response.json({"account_id": account.account_id, "alias": account.alias, "role_arn": account.role_arn})

    def _add_credential(self, request: Request) -> Response:
        """Extra AccessKeys (optionally STS, with a token) for tests of credential handling."""
        spec = _object(request)
        key_id, secret = spec.get("access_key_id"), spec.get("secret")
        if not isinstance(key_id, str) or not isinstance(secret, str) or not key_id or not secret:
            raise SpecError("a credential needs access_key_id and secret")
        token = spec.get("security_token")
        with self.world.lock:
            self.world.add_credential(key_id, secret, str(token) if token else None)
        return Response.json({"access_key_id": key_id})


def cluster_dump(world: World, cluster: Cluster) -> dict[str, Any]:
    """Everything a test or the demo may want to assert on, in plain JSON."""
    return {
        "cluster_id": cluster.cluster_id,
        "name": cluster.name,
        "region_id": cluster.region_id,
        "account": cluster.account,
        "cluster_type": cluster.cluster_type,
        "cluster_spec": cluster.cluster_spec,
        "state": cluster.state,
        "current_version": cluster.current_version,
        "api_slb_id": cluster.api_slb_id,
        "ingress_slb_id": cluster.ingress_slb_id,
        "master_role": cluster.master_role,
        "master_policies": list(world.roles[cluster.master_role].policies) if cluster.master_role in world.roles else [],
        "whitelisted": cluster.whitelisted,
        "cgpu": cluster.cgpu,
        "api_server_down": world.api_server_down(cluster.cluster_id),
        "timezone": cluster.timezone,
        "api_public_slb_id": cluster.api_public_slb_id,
        "vswitch_free_ips": cluster.vswitch_free_ips,
        "terway_pod_networking": cluster.terway_pod_networking,
        "ack_check_fail_items": list(cluster.ack_check_fail_items),
        "checks": [
            {"check_id": c.check_id, "type": c.check_type, "failed_items": c.failed_items()}
            for c in sorted(world.checks.values(), key=lambda c: c.created)
            if c.cluster_id == cluster.cluster_id
        ],
        "nodes": [
            {
                "name": n.name,
                "instance_id": n.instance_id,
                "role": n.role,
                "ip": n.ip,
                "ready": n.ready,
                "cloud_assistant": n.cloud_assistant,
                "charge_type": n.charge_type,
                "in_kubernetes": n.in_kubernetes,
                "in_cluster": n.in_cluster,
                "released": n.released,
            }
            for n in cluster.nodes
        ],
        "tasks": [_task_dump(t) for t in world.cluster_tasks(cluster.cluster_id)],
        "pods_on_masters": [
            f"{p.namespace}/{p.name}" for p in cluster.pods if p.node_name in {m.name for m in cluster.masters}
        ],
    }


def _task_dump(task: Task) -> dict[str, Any]:
    return {
        "task_id": task.task_id,
        "task_type": task.task_type,
        "state": task.state,
        "stage": task.stages[task.stage_index][0],
        "stage_index": task.stage_index,
        "error": task.error,
        "created": iso(task.created),
        # Exact times (epoch seconds) for tests and benchmarks that measure overlap: when MigrateCluster
        # created the task, and when ACK ended it (None while it runs).
        "started_at": task.created,
        "ended_at": task.stage_ended[-1] if task.state != "running" and task.stage_ended else None,
        "parameters": dict(task.parameters),
    }


def _object(request: Request) -> dict[str, Any]:
    try:
        body = request.json()
    except json.JSONDecodeError as error:
        raise SpecError(f"the body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise SpecError("the body must be a JSON object")
    return body


def _error(status: int, text: str) -> Response:
    return Response.json({"error": text}, status=status)
