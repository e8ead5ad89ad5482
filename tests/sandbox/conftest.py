"""A cloud-only sandbox for the ACK, ECS, SLB and RAM tests: those services and the control API, on free ports.

It is the same World and the same HTTP servers `sandbox.runtime.Sandbox` starts, minus OSS, Kubernetes and
Slack, so these tests need nothing beyond the services they prove. Clients are the real SDKs, configured
the way production configures them: only the endpoint differs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest

from sandbox.ack import AckService
from sandbox.client import SandboxClient
from sandbox.control import ControlApi
from sandbox.httpserver import ServiceServer
from sandbox.rpc import EcsService, RamService, SlbService
from sandbox.world import World
from tests.sandbox.slack_fixtures import BotAnswer, RecordingBot, SlackStandIn

ACCESS_KEY_ID = "LTAI5tSandboxTestKey0001"
ACCESS_KEY_SECRET = "sandbox-test-secret-0123456789"
REGION = "cn-hangzhou"
KUBERNETES_URL = "http://127.0.0.1:6443"  # where kubeconfigs point; the Kubernetes stand-in is tested elsewhere

RPC_VERSIONS = {"ecs": ("Ecs", "2014-05-26"), "slb": ("Slb", "2014-05-15"), "ram": ("Ram", "2015-05-01")}


@dataclass
class CloudSandbox:
    """The running services plus the ways a test talks to them."""

    world: World
    servers: dict[str, ServiceServer] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return self.servers[service].url

    def host(self, service: str) -> str:
        return urlsplit(self.url(service)).netloc

    @property
    def control(self) -> SandboxClient:
        return SandboxClient(self.url("ack"))

    def acs_client(self, *, access_key_id: str = ACCESS_KEY_ID, secret: str = ACCESS_KEY_SECRET) -> AcsClient:
        """aliyunsdkcore's client exactly as production builds it (its own retries off)."""
        return AcsClient(access_key_id, secret, REGION, auto_retry=False, timeout=10)

    def point(self, request: Any, service: str) -> Any:
        """Aim an SDK request at the sandbox: the endpoint override production uses."""
        request.set_endpoint(self.host(service))
        request.set_protocol_type("http")
        return request

    def roa(self, method: str, pattern: str, *, action: str, body: dict[str, Any] | None = None,
            query: dict[str, str] | None = None, **path: str) -> CommonRequest:
        """An ACK CommonRequest (ROA): path parameters by name, a JSON body as ACK expects."""
        request = CommonRequest(version="2015-12-15", action_name=action, uri_pattern=pattern, product="CS")
        request.set_method(method)
        for key, value in path.items():
            request.add_path_param(key, value)
        for key, value in (query or {}).items():
            request.add_query_param(key, value)
        if body is not None:
            request.set_content_type("application/json")
            request.set_content(json.dumps(body).encode())
        return self.point(request, "ack")

    def rpc(self, service: str, action: str, params: dict[str, str]) -> CommonRequest:
        """An ECS/SLB/RAM CommonRequest (RPC style)."""
        product, version = RPC_VERSIONS[service]
        request = CommonRequest(version=version, action_name=action, product=product)
        request.set_method("POST")
        for key, value in params.items():
            request.add_query_param(key, value)
        return self.point(request, service)

    def call(self, request: Any, *, client: AcsClient | None = None) -> Any:
        """Send with the SDK and decode the JSON body, as workers.cloud does."""
        raw = (client or self.acs_client()).do_action_with_exception(request)
        return json.loads(raw)

    def cluster(self, **spec: Any) -> str:
        """Create a cluster through the control API; returns its id."""
        return self.control.create_cluster(**spec)["cluster_id"]


def start_cloud(world: World) -> CloudSandbox:
    cloud = CloudSandbox(world=world)
    control = ControlApi(world)
    services = {"ack": AckService(world), "ecs": EcsService(world), "slb": SlbService(world),
                "ram": RamService(world)}
    for name, service in services.items():
        server = ServiceServer(world=world, service=service, host="127.0.0.1", port=0,
                               extra=control.handle if name == "ack" else None)
        cloud.servers[name] = server
        world.endpoints[name] = server.url
        server.start()
    world.endpoints["kubernetes"] = KUBERNETES_URL
    return cloud


@pytest.fixture
def cloud() -> Iterator[CloudSandbox]:
    """ACK (+ control API), ECS, SLB and RAM over one fresh World, with one AccessKey pair registered."""
    world = World()
    world.add_credential(ACCESS_KEY_ID, ACCESS_KEY_SECRET)
    box = start_cloud(world)
    yield box
    for server in box.servers.values():
        server.stop()


@pytest.fixture(scope="module")
def slack_server() -> Iterator[SlackStandIn]:
    """One Slack stand-in per test module (`reset()` between tests keeps them independent and fast)."""
    stand_in = SlackStandIn().start()
    yield stand_in
    stand_in.stop()


# The app's side of the Slack stand-in, shared by the modules that watch what Slack delivers to the app.
# A module that needs only the API (test_slack_api, test_slack_pace) defines its own plain `slack`.


@pytest.fixture(scope="module")
def bot_server() -> Iterator[RecordingBot]:
    """One recording app per test module, as the Slack stand-in is."""
    bot = RecordingBot().start()
    yield bot
    bot.stop()


@pytest.fixture
def bot(bot_server: RecordingBot) -> RecordingBot:
    bot_server.deliveries.clear()
    bot_server.answer = BotAnswer()
    return bot_server


@pytest.fixture
def slack(slack_server: SlackStandIn, bot: RecordingBot) -> SlackStandIn:
    """A fresh workspace whose app delivers commands, clicks and events to `bot`."""
    slack_server.reset()
    slack_server.control.set_request_url(bot.url)
    return slack_server
