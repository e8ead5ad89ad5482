"""The checks read from the cluster detail alone: type, state, Kubernetes version."""

from __future__ import annotations

import pytest

from workers.checks.cluster_checks import (
    ClusterKind,
    check_cluster_state,
    check_cluster_type,
    check_k8s_version,
    cluster_kind,
    parse_minor_version,
)
from workers.checks.model import Outcome


def test_dedicated_cluster_passes_the_type_check() -> None:
    check = check_cluster_type(cluster_type="Kubernetes", cluster_spec="", profile="Default")
    assert check.outcome is Outcome.PASS
    assert "cluster_type Kubernetes" in check.summary
    assert check.fix == ""


def test_pro_cluster_fails_the_type_check_saying_it_is_already_pro() -> None:
    check = check_cluster_type(
        cluster_type="ManagedKubernetes", cluster_spec="ack.pro.small", profile="Default"
    )
    assert check.outcome is Outcome.FAIL
    assert "already an ACK Pro cluster" in check.summary
    assert check.doc_url


def test_serverless_cluster_fails_the_type_check() -> None:
    check = check_cluster_type(cluster_type="ManagedKubernetes", cluster_spec="", profile="Serverless")
    assert check.outcome is Outcome.FAIL
    assert "profile Serverless" in check.summary


def test_running_cluster_passes_the_state_check() -> None:
    assert check_cluster_state(state="running").outcome is Outcome.PASS


def test_migrating_cluster_fails_the_state_check_naming_the_migration() -> None:
    check = check_cluster_state(state="migrating")
    assert check.outcome is Outcome.FAIL
    assert "a migration is already in progress" in check.summary


def test_aliyun_version_strings_parse_to_their_minor_version() -> None:
    assert parse_minor_version("1.16.9-aliyun.1") == (1, 16)
    assert parse_minor_version("v1.22.15") == (1, 22)
    assert parse_minor_version("latest") is None


def test_version_below_the_minimum_fails() -> None:
    check = check_k8s_version(current_version="1.14.8-aliyun.1", minimum="1.16", advised="1.18")
    assert check.outcome is Outcome.FAIL
    assert "1.14.8-aliyun.1" in check.summary and "1.16" in check.summary


def test_version_between_minimum_and_advised_warns() -> None:
    check = check_k8s_version(current_version="1.16.9-aliyun.1", minimum="1.16", advised="1.18")
    assert check.outcome is Outcome.WARN
    assert "1.18" in check.summary


def test_version_at_the_advised_release_passes() -> None:
    assert (
        check_k8s_version(current_version="1.18.8-aliyun.1", minimum="1.16", advised="1.18").outcome
        is Outcome.PASS
    )


def test_thresholds_come_from_the_caller() -> None:
    check = check_k8s_version(current_version="1.20.4-aliyun.1", minimum="1.22", advised="1.24")
    assert check.outcome is Outcome.FAIL


def test_unreadable_version_is_an_error_not_a_pass() -> None:
    check = check_k8s_version(current_version="", minimum="1.16", advised="1.18")
    assert check.outcome is Outcome.ERROR


def test_cluster_kinds_follow_type_spec_and_profile() -> None:
    def kind(cluster_type: str, cluster_spec: str = "", profile: str = "Default") -> ClusterKind:
        return cluster_kind(cluster_type=cluster_type, cluster_spec=cluster_spec, profile=profile)

    assert kind("Kubernetes") is ClusterKind.DEDICATED
    assert kind("Kubernetes", profile="") is ClusterKind.DEDICATED
    assert kind("ManagedKubernetes", "ack.pro.small") is ClusterKind.PRO
    assert kind("ManagedKubernetes", "ack.standard") is ClusterKind.MANAGED
    assert kind("ManagedKubernetes", profile="Serverless") is ClusterKind.SERVERLESS
    assert kind("Ask") is ClusterKind.SERVERLESS
    assert kind("ManagedKubernetes", "ack.pro.small", profile="Edge") is ClusterKind.EDGE
    assert kind("ExternalKubernetes") is ClusterKind.REGISTERED
    assert kind("") is ClusterKind.UNKNOWN
    assert kind("Kubernetes", profile="Lingjun") is ClusterKind.UNKNOWN


def test_basic_managed_cluster_fails_pointing_at_the_console_upgrade() -> None:
    check = check_cluster_type(cluster_type="ManagedKubernetes", cluster_spec="ack.standard", profile="")
    assert check.outcome is Outcome.FAIL
    assert "already a managed cluster" in check.summary
    assert check.fix == "Upgrade Basic to Pro in the console instead."


def test_edge_cluster_fails_the_type_check_naming_what_it_is() -> None:
    check = check_cluster_type(cluster_type="ManagedKubernetes", cluster_spec="ack.pro.small", profile="Edge")
    assert check.outcome is Outcome.FAIL
    assert "this one is not (it is an edge cluster)" in check.summary


def test_unreadable_cluster_type_fails_without_claiming_what_it_is() -> None:
    check = check_cluster_type(cluster_type="", cluster_spec="", profile="")
    assert check.outcome is Outcome.FAIL
    assert "this one is not (cluster_type (empty)" in check.summary


@pytest.mark.parametrize("spec", ["ack.pro.small", "ack.pro.xlarge", "ack.pro.2xlarge", "ack.pro.4xlarge"])
def test_every_ack_pro_spec_is_already_pro(spec: str) -> None:
    check = check_cluster_type(cluster_type="ManagedKubernetes", cluster_spec=spec, profile="Default")
    assert check.outcome is Outcome.FAIL
    assert "already an ACK Pro cluster" in check.summary


@pytest.mark.parametrize("spec", ["ack.standard", ""])
def test_basic_specs_are_managed_not_pro(spec: str) -> None:
    kind = cluster_kind(cluster_type="ManagedKubernetes", cluster_spec=spec, profile="Default")
    assert kind is ClusterKind.MANAGED
