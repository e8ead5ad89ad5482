"""The Kubernetes stand-in on its own: a World, a KubeService on a free port, kubeconfigs for its clusters.

The API and kubectl tests need nothing but this server, so they start only it; the kubeconfig is the one
ACK's DescribeClusterUserKubeconfig hands out, so clients are configured exactly as in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from sandbox.ack import kubeconfig
from sandbox.httpserver import ServiceServer
from sandbox.kube import KubeService
from sandbox.world import Cluster, World


@dataclass
class KubeSandbox:
    world: World
    server: ServiceServer

    @property
    def url(self) -> str:
        return self.server.url

    def cluster(self, **spec: Any) -> Cluster:
        with self.world.lock:
            return self.world.create_cluster(spec)

    def kubeconfig(self, cluster: Cluster, *, token: str | None = None) -> str:
        text = kubeconfig(cluster, f"{self.url}/clusters/{cluster.cluster_id}")
        return text if token is None else text.replace(cluster.kube_token, token)

    def write_kubeconfig(self, cluster: Cluster, directory: Path, *, token: str | None = None) -> Path:
        path = directory / f"{cluster.cluster_id}.kubeconfig"
        path.write_text(self.kubeconfig(cluster, token=token))
        return path

    def api_client(self, cluster: Cluster, *, token: str | None = None) -> k8s.ApiClient:
        """The official client, built from the kubeconfig text as workers.cloud.kube builds it."""
        config = yaml.safe_load(self.kubeconfig(cluster, token=token))
        return k8s_config.new_client_from_config_dict(config, persist_config=False)

    def core(self, cluster: Cluster, *, token: str | None = None) -> k8s.CoreV1Api:
        return k8s.CoreV1Api(self.api_client(cluster, token=token))

    def apps(self, cluster: Cluster) -> k8s.AppsV1Api:
        return k8s.AppsV1Api(self.api_client(cluster))


@contextmanager
def kube_sandbox(*, speed: float = 1.0) -> Iterator[KubeSandbox]:
    world = World(speed=speed)
    server = ServiceServer(world=world, service=KubeService(world), host="127.0.0.1", port=0)
    world.endpoints["kubernetes"] = server.url
    server.start()
    try:
        yield KubeSandbox(world=world, server=server)
    finally:
        server.stop()
