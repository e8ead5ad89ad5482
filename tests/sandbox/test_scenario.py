"""The named sandbox worlds: `default` shows every precheck outcome, unknown names are refused clearly."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sandbox.scenario import MIGRATION_BUCKET, SCENARIOS, load_scenario
from sandbox.world import MIGRATION_STAGES, World, oss_statement


def _default_world() -> World:
    world = World()
    with world.lock:
        load_scenario(world, "default")
    return world


def test_empty_scenario_builds_nothing() -> None:
    world = World()

    load_scenario(world, "empty")

    assert world.clusters == {}
    assert world.buckets == {}


def test_unknown_scenario_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown sandbox scenario 'demo-world'.*empty, default"):
        load_scenario(World(), "demo-world")


def test_default_scenario_has_the_migration_bucket_in_hangzhou() -> None:
    world = _default_world()

    bucket = world.buckets[MIGRATION_BUCKET]
    assert bucket.location == "oss-cn-hangzhou"
    assert bucket.referers == []
    assert world.buckets["ack-migrate-sh"].location == "oss-cn-shanghai"
    assert world.buckets["ack-migrate-hotlink"].referers == ["https://*.example.com"]


def test_ready_cluster_is_a_healthy_dedicated_cluster_whose_master_role_grants_the_bucket() -> None:
    world = _default_world()
    ready = next(c for c in world.clusters.values() if c.name == "prod-hz-ready")

    assert (ready.cluster_type, ready.state, ready.region_id) == ("Kubernetes", "running", "cn-hangzhou")
    assert ready.current_version.startswith("1.22")
    assert len(ready.masters) == 3 and all(m.cloud_assistant for m in ready.masters)
    assert world.load_balancers[ready.api_slb_id].spec == "slb.s2.small"
    assert ready.cgpu == "none" and ready.addons == [] and ready.whitelisted
    master_names = {m.name for m in ready.masters}
    assert all(p.mirror or p.owner_kind == "DaemonSet" for p in ready.pods if p.node_name in master_names)
    policy = world.policies[world.roles[ready.master_role].policies[0]]
    assert oss_statement(MIGRATION_BUCKET) in json.loads(policy.default.document)["Statement"]
    assert 60 <= ready.migration_duration_s <= 90 and ready.migration_fail_at_stage is None


def test_each_problem_cluster_has_exactly_its_named_problem() -> None:
    world = _default_world()
    clusters = {c.name: c for c in world.clusters.values()}

    assert clusters["prod-hz-old"].current_version.startswith("1.14")
    assert world.load_balancers[clusters["prod-hz-shared-slb"].api_slb_id].spec == ""  # shared-performance
    assert [m.cloud_assistant for m in clusters["prod-hz-no-assistant"].masters] == [True, False, True]
    busy = clusters["prod-hz-busy-masters"]
    busy_masters = {m.name for m in busy.masters}
    assert sorted(f"{p.namespace}/{p.name}" for p in busy.pods if p.node_name in busy_masters and not p.mirror
                  and p.owner_kind != "DaemonSet") == [
        "default/report-generator-6d8f9c7b5d-x2k4p",
        "monitoring/prometheus-server-0",
    ]
    assert clusters["prod-hz-cgpu"].cgpu == "basic"
    assert clusters["prod-hz-addons"].addons == ["alb-ingress-controller", "ack-virtual-node"]
    assert clusters["prod-hz-not-whitelisted"].whitelisted is False
    no_grant = clusters["prod-hz-no-grant"]
    document = world.policies[world.roles[no_grant.master_role].policies[0]].default.document
    assert oss_statement(MIGRATION_BUCKET) not in json.loads(document)["Statement"]


def test_pro_cluster_is_already_managed_with_no_masters() -> None:
    pro = next(c for c in _default_world().clusters.values() if c.name == "prod-hz-pro")

    assert (pro.cluster_type, pro.cluster_spec) == ("ManagedKubernetes", "ack.pro.small")
    assert pro.masters == []


def test_failing_cluster_fails_in_the_control_plane_stage() -> None:
    fails = next(c for c in _default_world().clusters.values() if c.name == "staging-hz-fails")

    stage_names = [name for name, _ in MIGRATION_STAGES]
    assert fails.migration_fail_at_stage == stage_names.index("MigrateControlPlane") + 1
    assert fails.cluster_type == "Kubernetes" and fails.state == "running"


def test_every_scenario_cluster_name_is_unique() -> None:
    for scenario in SCENARIOS.values():
        names = [c.spec["name"] for c in scenario.clusters]
        assert len(names) == len(set(names)), scenario.name


def test_sandbox_fixture_serves_every_service_with_an_empty_world(sandbox: Any) -> None:
    assert sorted(sandbox.endpoints) == sorted(["ack", "ecs", "slb", "ram", "oss", "kubernetes", "slack", "sts"])
    assert sandbox.control.request("GET", "/clusters") == []


def test_started_sandbox_serves_the_default_scenario_over_the_control_api() -> None:
    from sandbox.runtime import Sandbox

    with Sandbox(scenario="default") as box:
        clusters = box.control.request("GET", "/clusters")

    assert "prod-hz-ready" in {c["name"] for c in clusters}
    assert len(clusters) == len(SCENARIOS["default"].clusters)
