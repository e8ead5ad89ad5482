"""Naming clusters across a fleet: id, unique name, account/name, glob; ambiguity lists the candidates."""

from __future__ import annotations

import pytest

from workers.fleet.names import (
    AmbiguousName,
    FleetCluster,
    NamingError,
    NoSuchCluster,
    resolve_many,
    resolve_one,
)

FLEET = [
    FleetCluster("main", "cn-hangzhou", "c" + "a" * 20, "prod-web"),
    FleetCluster("main", "cn-hangzhou", "c" + "b" * 20, "prod-db"),
    FleetCluster("main", "cn-beijing", "c" + "c" * 20, "staging"),
    FleetCluster("b", "cn-beijing", "c" + "d" * 20, "prod-web"),
    FleetCluster("b", "cn-shanghai", "c" + "e" * 20, "batch"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("c" + "d" * 20, "c" + "d" * 20),  # an id, wherever it lives
        ("staging", "c" + "c" * 20),  # a name unique across the fleet
        ("b/prod-web", "c" + "d" * 20),  # qualified
        ("main/prod-web", "c" + "a" * 20),
        ("  batch ", "c" + "e" * 20),  # surrounding spaces are not part of the name
    ],
)
def test_one_cluster_is_named_by_id_unique_name_or_account_and_name(text: str, expected: str) -> None:
    assert resolve_one(text, FLEET).cluster_id == expected


def test_a_name_two_accounts_share_is_ambiguous_and_the_answer_lists_both() -> None:
    with pytest.raises(AmbiguousName) as raised:
        resolve_one("prod-web", FLEET)
    message = str(raised.value)
    assert "2 clusters are named 'prod-web'" in message
    assert "main/prod-web (c" + "a" * 20 + ", cn-hangzhou)" in message
    assert "b/prod-web (c" + "d" * 20 + ", cn-beijing)" in message
    assert "qualify it as account/name" in message


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("prod-wbe", "no cluster 'prod-wbe' in the fleet; similar: main/prod-web"),
        ("c/prod-web", "no cluster 'c/prod-web'"),
        ("prod-*", "is a pattern; this command takes one cluster"),
    ],
)
def test_what_names_no_single_cluster_gets_a_clear_answer(text: str, says: str) -> None:
    with pytest.raises(NamingError) as raised:
        resolve_one(text, FLEET)
    assert says in str(raised.value)


@pytest.mark.parametrize(
    ("patterns", "expected_names"),
    [
        (["prod-*"], ["main/prod-web", "main/prod-db", "b/prod-web"]),
        (["b/*"], ["b/prod-web", "b/batch"]),
        (["*/prod-web"], ["main/prod-web", "b/prod-web"]),
        (["staging", "b/prod-?eb"], ["main/staging", "b/prod-web"]),
        (["prod-d*", "main/prod-db", "c" + "b" * 20], ["main/prod-db"]),  # each cluster once
        (["batch", "staging"], ["main/staging", "b/batch"]),  # the fleet's order, not the typed one
    ],
)
def test_several_clusters_by_globs_names_and_ids(patterns: list[str], expected_names: list[str]) -> None:
    assert [c.qualified for c in resolve_many(patterns, FLEET)] == expected_names


def test_a_pattern_that_matches_nothing_is_an_error_not_an_empty_selection() -> None:
    with pytest.raises(NoSuchCluster) as raised:
        resolve_many(["prod-*", "dev-*"], FLEET)
    assert "the pattern 'dev-*' matches no cluster" in str(raised.value)


def test_a_plain_name_among_patterns_must_still_be_unique() -> None:
    with pytest.raises(AmbiguousName):
        resolve_many(["prod-web"], FLEET)
