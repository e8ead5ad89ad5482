"""Building RPC-style CommonRequests (ECS, SLB, RAM): the one shape those three services share."""

from __future__ import annotations

from typing import Any

from aliyunsdkcore.request import CommonRequest

from workers.cloud.acs import AcsTransport


def rpc_request(*, product: str, version: str, action: str, params: dict[str, str]) -> CommonRequest:
    """A signed-on-send RPC request; the product names the SDK's endpoint table entry when not overridden."""
    request = CommonRequest(version=version, action_name=action, product=product)
    request.set_location_service_code(product.lower())
    request.set_method("POST")
    for key, value in params.items():
        request.add_query_param(key, value)
    return request


def rpc_call(
    transport: AcsTransport, *, product: str, version: str, action: str, params: dict[str, str],
    idempotent: bool = True,
) -> dict[str, Any]:
    """Send one RPC action through the transport (a fresh request per attempt) and return its JSON body."""
    body = transport.call(
        lambda: rpc_request(product=product, version=version, action=action, params=params),
        action=action,
        idempotent=idempotent,
    )
    return dict(body)
