"""SLB (CLB, API 2014-05-15): the API server load balancer's spec and network type."""

from __future__ import annotations

from workers.cloud.acs import AcsTransport
from workers.cloud.models import LoadBalancer
from workers.cloud.rpc import rpc_call

SERVICE = "slb"
API_VERSION = "2014-05-15"


class SlbClient:
    def __init__(self, transport: AcsTransport) -> None:
        self._transport = transport
        self.region = transport.region

    def describe_load_balancer(self, load_balancer_id: str) -> LoadBalancer:
        params = {"RegionId": self.region, "LoadBalancerId": load_balancer_id}
        body = rpc_call(
            self._transport, product="Slb", version=API_VERSION, action="DescribeLoadBalancerAttribute",
            params=params,
        )
        return LoadBalancer(
            load_balancer_id=str(body.get("LoadBalancerId") or load_balancer_id),
            spec=str(body.get("LoadBalancerSpec") or ""),
            address_type=str(body.get("AddressType") or ""),
            charge_type=str(body.get("InstanceChargeType") or ""),
            status=str(body.get("LoadBalancerStatus") or ""),
            address=str(body.get("Address") or ""),
            vpc_id=str(body.get("VpcId") or ""),
        )
