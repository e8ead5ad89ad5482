"""Named starting worlds for the sandbox: `empty` for tests, `default` for the demo and rehearsals.

The default world is a handful of clusters, each built to show one precheck outcome (plus one that is
ready and one whose migration fails half-way), and OSS buckets for the oss-bucket check's outcomes. A
rehearsal in a real Slack workspace can walk through every message the bot can post by picking clusters
from this list; `ackmigrate sandbox` prints it at start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.world import World

MIGRATION_BUCKET = "ack-migrate-hz"
"""The bucket the default scenario's clusters are meant to migrate through (in their region)."""

DEFAULT_MIGRATION = {"duration_s": 75}
"""Simulated seconds a default-scenario migration takes: a minute or so for a demo at speed 1."""


@dataclass(frozen=True)
class ScenarioCluster:
    """A cluster spec (the control API's fields) and what it is there to show."""

    purpose: str
    spec: dict[str, Any]


@dataclass(frozen=True)
class ScenarioBucket:
    purpose: str
    spec: dict[str, Any]


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    clusters: tuple[ScenarioCluster, ...] = ()
    buckets: tuple[ScenarioBucket, ...] = ()


def _dedicated(name: str, **spec: Any) -> dict[str, Any]:
    """A healthy dedicated cluster in cn-hangzhou whose master role already grants the migration bucket;
    each default-scenario cluster changes exactly the fields that make its point."""
    return {
        "name": name,
        "region_id": "cn-hangzhou",
        "cluster_type": "Kubernetes",
        "current_version": "1.22.15-aliyun.1",
        "masters": 3,
        "workers": 2,
        "oss_granted_buckets": [MIGRATION_BUCKET],
        "migration": dict(DEFAULT_MIGRATION),
        **spec,
    }


DEFAULT = Scenario(
    name="default",
    description="one cluster per precheck outcome, one ready to migrate, one whose migration fails",
    clusters=(
        ScenarioCluster("ready to migrate: every check passes", _dedicated("prod-hz-ready")),
        ScenarioCluster(
            "k8s-version fails: Kubernetes 1.14 must be upgraded first",
            _dedicated("prod-hz-old", current_version="1.14.8-aliyun.1"),
        ),
        ScenarioCluster(
            "slb-spec fails: the API server's SLB is a shared-performance instance",
            _dedicated("prod-hz-shared-slb", slb_spec="shared"),
        ),
        ScenarioCluster(
            "cloud-assistant fails: the second master has no Cloud Assistant client",
            _dedicated("prod-hz-no-assistant", cloud_assistant=[True, False, True]),
        ),
        ScenarioCluster(
            "master-pods fails: ordinary workloads run on the masters",
            _dedicated(
                "prod-hz-busy-masters",
                pods_on_masters=["default/report-generator-6d8f9c7b5d-x2k4p", "monitoring/prometheus-server-0"],
            ),
        ),
        ScenarioCluster(
            "cgpu warns: cGPU Basic must be upgraded to Professional after migrating",
            _dedicated("prod-hz-cgpu", cgpu="basic"),
        ),
        ScenarioCluster(
            "addons warns: ALB Ingress controller and ack-virtual-node must be reinstalled after",
            _dedicated("prod-hz-addons", addons=["alb-ingress-controller", "ack-virtual-node"]),
        ),
        ScenarioCluster(
            "ram-policy: the master role does not yet allow the bucket (the migrate job may add it)",
            _dedicated("prod-hz-no-grant", oss_granted_buckets=[]),
        ),
        ScenarioCluster(
            "whitelist: MigrateCluster refuses, the account is not whitelisted",
            _dedicated("prod-hz-not-whitelisted", whitelisted=False),
        ),
        ScenarioCluster(
            "cluster-type fails: already an ACK Pro managed cluster",
            {
                "name": "prod-hz-pro",
                "region_id": "cn-hangzhou",
                "cluster_type": "ManagedKubernetes",
                "cluster_spec": "ack.pro.small",
                "workers": 2,
            },
        ),
        ScenarioCluster(
            "prechecks pass, but the migration fails in its control-plane stage",
            _dedicated(
                "staging-hz-fails",
                migration={**DEFAULT_MIGRATION, "fail_at_stage": "MigrateControlPlane"},
            ),
        ),
    ),
    buckets=(
        ScenarioBucket(
            "the migration bucket: in cn-hangzhou, hotlink protection off",
            {"name": MIGRATION_BUCKET, "region_id": "cn-hangzhou"},
        ),
        ScenarioBucket(
            "oss-bucket fails: in cn-shanghai, not the clusters' region",
            {"name": "ack-migrate-sh", "region_id": "cn-shanghai"},
        ),
        ScenarioBucket(
            "oss-bucket fails: hotlink protection is on",
            {"name": "ack-migrate-hotlink", "region_id": "cn-hangzhou", "referers": ["https://*.example.com"]},
        ),
    ),
)

EMPTY = Scenario(name="empty", description="no clusters and no buckets: tests build what they need")

SCENARIOS: dict[str, Scenario] = {scenario.name: scenario for scenario in (EMPTY, DEFAULT)}


def load_scenario(world: World, name: str) -> Scenario:
    """Build the named scenario's clusters and buckets into `world` (call with `world.lock` held)."""
    scenario = SCENARIOS.get(name)
    if scenario is None:
        raise ValueError(f"unknown sandbox scenario {name!r}; known scenarios: {', '.join(SCENARIOS)}")
    for bucket in scenario.buckets:
        world.create_bucket(dict(bucket.spec))
    for cluster in scenario.clusters:
        world.create_cluster(dict(cluster.spec))
    return scenario
