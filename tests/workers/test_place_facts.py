"""PlaceFacts: a place's shared facts asked once per plan, refusals kept, "not now" asked again."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from workers.checks.place_facts import PlaceFacts
from workers.errors import NotFound, Unavailable


def test_clusters_asking_at_once_share_one_call() -> None:
    facts = PlaceFacts()
    calls: list[str] = []
    release = threading.Event()

    def fetch() -> str:
        calls.append("GetBucketInfo")
        release.wait(5)
        return "info"

    with ThreadPoolExecutor(8) as pool:
        answers = [pool.submit(facts.get, ("GetBucketInfo", "b"), fetch) for _ in range(8)]
        release.set()
        assert [a.result(5) for a in answers] == ["info"] * 8
    assert calls == ["GetBucketInfo"]
    assert facts.get(("GetBucketInfo", "b"), lambda: "asked again") == "info"


def test_each_key_is_its_own_fact() -> None:
    facts = PlaceFacts()
    assert facts.get(("GetBucketInfo", "a"), lambda: "a-info") == "a-info"
    assert facts.get(("GetBucketReferer", "a"), lambda: "a-referer") == "a-referer"
    assert facts.get(("GetBucketInfo", "b"), lambda: "b-info") == "b-info"


def test_a_refusal_is_a_fact_of_the_place_and_is_kept() -> None:
    facts = PlaceFacts()
    missing = NotFound(service="oss", action="GetBucketInfo", code="NoSuchBucket", message="gone")

    def fetch() -> str:
        raise missing

    with pytest.raises(NotFound):
        facts.get(("GetBucketInfo", "b"), fetch)
    with pytest.raises(NotFound):
        facts.get(("GetBucketInfo", "b"), lambda: "would have answered")


def test_a_transient_failure_is_not_kept_so_the_next_cluster_asks_again() -> None:
    facts = PlaceFacts()

    def fetch() -> str:
        raise Unavailable(service="oss", action="GetBucketInfo", code="RequestError", message="reset")

    with pytest.raises(Unavailable):
        facts.get(("GetBucketInfo", "b"), fetch)
    assert facts.get(("GetBucketInfo", "b"), lambda: "info") == "info"
