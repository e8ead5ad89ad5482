"""A small HTTP client for the sandbox's control API, for tests, the demo and rehearsal scripts.

It talks HTTP like any outside caller would, so it works the same against an in-process sandbox and
against `ackmigrate sandbox` running elsewhere on the machine.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from sandbox.slack_client import SlackControl


class SandboxControlError(RuntimeError):
    """The control API refused a request; the message is the sandbox's own explanation."""


class SandboxClient(SlackControl):
    """Wraps `/_sandbox/…` on the ACK endpoint (the README's control API table)."""

    def __init__(self, ack_endpoint: str, *, timeout: float = 30.0) -> None:
        self.base = ack_endpoint.rstrip("/") + "/_sandbox"
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        params = {k: v for k, v in query.items() if v is not None}
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")
            raise SandboxControlError(f"{method} {path}: HTTP {error.code}: {detail}") from None
        return json.loads(raw) if raw else None

    # --- the cloud -----------------------------------------------------------------------------------

    def create_cluster(self, **spec: Any) -> dict[str, str]:
        """Create a simulated cluster; returns {"cluster_id", "name"}."""
        result: dict[str, str] = self.request("POST", "/clusters", spec)
        return result

    def cluster_state(self, cluster_id: str) -> dict[str, Any]:
        """Everything the sandbox knows about one cluster (nodes, tasks, …), for assertions and the demo."""
        result: dict[str, Any] = self.request("GET", f"/clusters/{cluster_id}")
        return result

    def change_cluster(self, cluster_id: str, **changes: Any) -> dict[str, Any]:
        """Change a cluster as someone outside ackmigrate could (state, current_version, cloud_assistant)."""
        result: dict[str, Any] = self.request("PATCH", f"/clusters/{cluster_id}", changes)
        return result

    def create_account(self, account_id: str, alias: str, *, quotas: dict[str, int] | None = None) -> str:
        """Add an account (its own world of clusters, buckets, roles); returns the role ARN to assume."""
        body: dict[str, Any] = {"account_id": account_id, "alias": alias}
        if quotas is not None:
            body["quotas"] = quotas
        result: dict[str, str] = self.request("POST", "/accounts", body)
        return result["role_arn"]

    def set_quotas(self, account: str | None = None, **quotas: int) -> dict[str, int]:
        """What DescribeUserQuota answers an account (id or alias; None = the main account)."""
        result: dict[str, int] = self.request("POST", "/quotas", {"account": account, **quotas})
        return result

    def create_bucket(self, name: str, region_id: str = "cn-hangzhou", **extra: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.request("POST", "/buckets", {"name": name, "region_id": region_id, **extra})
        return result

    def calls(self, service: str | None = None, action: str | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.request("GET", "/calls", service=service, action=action)
        return result

    def clear_calls(self) -> None:
        self.request("DELETE", "/calls")

    def fault(
        self,
        service: str,
        action: str | None = None,
        *,
        http_status: int | None = None,
        code: str | None = None,
        message: str | None = None,
        count: int = 1,
        latency_ms: int | None = None,
        delay_response: bool | None = None,
    ) -> None:
        """The next `count` matching calls fail or are slowed (count=-1: all until cleared).

        `delay_response=True` with `latency_ms`: the call is applied and logged at once and only its answer
        is held back, so a test can kill the caller after the cloud acted but before it heard so.
        """
        spec = {"service": service, "action": action, "http_status": http_status, "code": code,
                "message": message, "count": count, "latency_ms": latency_ms, "delay_response": delay_response}
        self.request("POST", "/faults", {k: v for k, v in spec.items() if v is not None})

    def faults(self) -> list[dict[str, Any]]:
        """Faults not yet used up: a fault with count 1 leaves this list when its call arrives."""
        result: list[dict[str, Any]] = self.request("GET", "/faults")
        return result

    def clear_faults(self) -> None:
        self.request("DELETE", "/faults")
