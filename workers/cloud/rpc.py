"""Building RPC-style CommonRequests (ECS, SLB, RAM): the one shape those three services share."""

from __future__ import annotations

from aliyunsdkcore.request import CommonRequest


def rpc_request(*, product: str, version: str, action: str, params: dict[str, str]) -> CommonRequest:
    """A signed-on-send RPC request; the product names the SDK's endpoint table entry when not overridden."""
    request = CommonRequest(version=version, action_name=action, product=product)
    request.set_location_service_code(product.lower())
    request.set_method("POST")
    for key, value in params.items():
        request.add_query_param(key, value)
    return request
