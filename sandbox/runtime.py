"""Start and stop the whole sandbox in one process: every service on its own port, one shared World.

Tests start one per test on free ports (it takes milliseconds); `ackmigrate sandbox` starts one on fixed
ports for the demo and for rehearsals with a real Slack workspace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.ack import AckService
from sandbox.control import ControlApi
from sandbox.httpserver import Service, ServiceServer
from sandbox.kube import KubeService
from sandbox.oss import OssService
from sandbox.rpc import EcsService, RamService, SlbService, StsService
from sandbox.scenario import load_scenario
from sandbox.slack import SlackService, SlackWorkspace
from sandbox.slack_socket import SocketModeHub
from sandbox.world import World

if TYPE_CHECKING:
    from sandbox.client import SandboxClient

ACCESS_KEY_ID = "LTAI5tSandboxAccessKey01"
ACCESS_KEY_SECRET = "sandbox-secret-do-not-use-anywhere-else"
SLACK_BOT_TOKEN = "xoxb-sandbox-0000000000-bot-token"
SLACK_APP_TOKEN = "xapp-sandbox-0000000000-app-token"
SLACK_SIGNING_SECRET = "sandbox-signing-secret-0123456789abcdef"

SERVICE_ORDER = ("ack", "ecs", "slb", "ram", "oss", "kubernetes", "slack", "socket-mode", "sts")
"""With a fixed base port P, service i listens on P + i in this order (Socket Mode's WebSocket is P + 7)."""


class Sandbox:
    """All simulated endpoints; `env()` says how to point ackmigrate at them."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        speed: float = 1.0,
        scenario: str = "empty",
        region: str = "cn-hangzhou",
        slack_request_url: str | None = None,
    ) -> None:
        self.host = host
        self.base_port = port
        self.region = region
        self.world = World(speed=speed)
        self.world.add_credential(ACCESS_KEY_ID, ACCESS_KEY_SECRET)
        self.world.slack = SlackWorkspace(
            bot_token=SLACK_BOT_TOKEN, signing_secret=SLACK_SIGNING_SECRET, request_url=slack_request_url
        )
        self.scenario = scenario
        self.servers: dict[str, ServiceServer] = {}
        self.socket_mode: SocketModeHub | None = None  # Slack's Socket Mode WebSocket, on the port after the services
        from sandbox.client import SandboxClient

        self._client_class = SandboxClient

    def start(self) -> Sandbox:
        services: dict[str, Service] = {
            "ack": AckService(self.world),
            "ecs": EcsService(self.world),
            "slb": SlbService(self.world),
            "ram": RamService(self.world),
            "oss": OssService(self.world),
            "kubernetes": KubeService(self.world),
            "slack": SlackService(self.world),
            "sts": StsService(self.world),
        }
        control = ControlApi(self.world)
        try:
            for index, name in enumerate(SERVICE_ORDER):
                if name not in services:
                    continue
                port = self.base_port + index if self.base_port else 0
                server = ServiceServer(
                    world=self.world,
                    service=services[name],
                    host=self.host,
                    port=port,
                    extra=control.handle if name == "ack" else None,
                )
                self.servers[name] = server
                self.world.endpoints[name] = server.url
            for server in self.servers.values():
                server.start()
            socket_port = self.base_port + SERVICE_ORDER.index("socket-mode") if self.base_port else 0
            self.socket_mode = SocketModeHub(self.world.slack, app_token=SLACK_APP_TOKEN, host=self.host,
                                             port=socket_port).start()
            with self.world.lock:
                load_scenario(self.world, self.scenario)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.socket_mode is not None:
            self.socket_mode.stop()
            self.socket_mode = None
        for server in self.servers.values():
            server.stop()
        self.servers.clear()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoints(self) -> dict[str, str]:
        return dict(self.world.endpoints)

    @property
    def control(self) -> SandboxClient:
        return self._client_class(self.world.endpoints["ack"])

    def env(self) -> dict[str, str]:
        """The environment lines (the README's variables) that point the bot and the workers here."""
        e = self.world.endpoints
        return {
            "ACKMIGRATE_REGION": self.region,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET,
            "ACKMIGRATE_ACK_ENDPOINT": e["ack"],
            "ACKMIGRATE_ECS_ENDPOINT": e["ecs"],
            "ACKMIGRATE_SLB_ENDPOINT": e["slb"],
            "ACKMIGRATE_RAM_ENDPOINT": e["ram"],
            "ACKMIGRATE_OSS_ENDPOINT": e["oss"],
            "ACKMIGRATE_STS_ENDPOINT": e["sts"],
            "SLACK_API_URL": e["slack"] + "/api/",
            "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
            "SLACK_APP_TOKEN": SLACK_APP_TOKEN,
            "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
        }
