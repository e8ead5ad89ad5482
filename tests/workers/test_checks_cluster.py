"""The checks read from the cluster detail alone: type, state, Kubernetes version."""

from __future__ import annotations

from workers.checks.cluster_checks import (
    check_cluster_state,
    check_cluster_type,
    check_k8s_version,
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
