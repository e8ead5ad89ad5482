"""Risk order: non-production names first, then fewer warnings, then fewer nodes, then the name; each
cluster says which of these put it ahead of the next."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from workers.domain.risk import (
    DEFAULT_NONPROD_PATTERNS,
    Environment,
    Ranked,
    RankKey,
    RiskInput,
    environment_of,
    rank_by_risk,
)


def cluster(name: str, *, warnings: int = 0, nodes: int = 3, cluster_id: str | None = None) -> RiskInput:
    return RiskInput(cluster_id=cluster_id or f"c-{name}", name=name, warnings=warnings, nodes=nodes)


def names(ranked: list[Ranked]) -> list[str]:
    return [r.cluster.name for r in ranked]


def test_non_production_goes_first_even_with_more_warnings_and_nodes() -> None:
    ranked = rank_by_risk([cluster("prod-web", warnings=0, nodes=3), cluster("web-dev", warnings=2, nodes=50)],
                          nonprod_patterns=DEFAULT_NONPROD_PATTERNS)
    assert names(ranked) == ["web-dev", "prod-web"]
    assert ranked[0].reason.environment is Environment.NON_PRODUCTION
    assert ranked[0].reason.matched_pattern == "*dev*"
    assert ranked[0].reason.ahead_by is RankKey.ENVIRONMENT
    assert ranked[1].reason.environment is Environment.PRODUCTION
    assert ranked[1].reason.ahead_by is RankKey.LAST


def test_fewer_warnings_then_fewer_nodes_then_the_name() -> None:
    ranked = rank_by_risk(
        [cluster("b", warnings=1, nodes=1), cluster("d", warnings=0, nodes=9), cluster("c", warnings=0, nodes=2),
         cluster("a", warnings=0, nodes=2)],
        nonprod_patterns=(),
    )
    assert names(ranked) == ["a", "c", "d", "b"]
    assert [r.reason.ahead_by for r in ranked] == [RankKey.NAME, RankKey.NODES, RankKey.WARNINGS, RankKey.LAST]
    assert [r.reason.position for r in ranked] == [1, 2, 3, 4]
    assert (ranked[2].reason.warnings, ranked[2].reason.nodes) == (0, 9)


def test_patterns_are_configurable_and_case_insensitive() -> None:
    assert environment_of("Payments-QA-1", ["*qa*"]) == (Environment.NON_PRODUCTION, "*qa*")
    assert environment_of("payments-dev", ["*qa*"]) == (Environment.PRODUCTION, None)
    assert environment_of("STAGING-eu", DEFAULT_NONPROD_PATTERNS) == (Environment.NON_PRODUCTION, "*staging*")


def test_the_same_name_in_two_accounts_is_ordered_by_id() -> None:
    ranked = rank_by_risk([cluster("web", cluster_id="c2"), cluster("web", cluster_id="c1")], nonprod_patterns=())
    assert [r.cluster.cluster_id for r in ranked] == ["c1", "c2"]
    assert ranked[0].reason.ahead_by is RankKey.NAME


_clusters = st.lists(
    st.builds(cluster, st.sampled_from(["web-dev", "api", "db-test", "prod-1", "edge"]),
              warnings=st.integers(0, 3), nodes=st.integers(1, 5),
              cluster_id=st.text("abc0123", min_size=1, max_size=4)),
    max_size=12, unique_by=lambda c: c.cluster_id,
)


@given(_clusters)
def test_the_order_does_not_depend_on_the_order_given(clusters: list[RiskInput]) -> None:
    forward = rank_by_risk(clusters, nonprod_patterns=DEFAULT_NONPROD_PATTERNS)
    backward = rank_by_risk(list(reversed(clusters)), nonprod_patterns=DEFAULT_NONPROD_PATTERNS)
    assert forward == backward
    assert sorted(r.cluster.cluster_id for r in forward) == sorted(c.cluster_id for c in clusters)
