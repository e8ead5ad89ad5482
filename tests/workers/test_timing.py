"""Worker timing settings follow the same rule as every other setting: bad values stop the worker, named."""

from __future__ import annotations

import pytest

from workers.config import ConfigError
from workers.timing import WorkerTiming


def test_defaults_keep_the_two_minute_takeover_promise() -> None:
    timing = WorkerTiming.from_env({})
    assert timing.lease_ttl_s + timing.reconcile_interval_s <= 120


def test_fractional_seconds_are_accepted() -> None:
    timing = WorkerTiming.from_env({"ACKMIGRATE_LEASE_TTL": "2.5", "ACKMIGRATE_RECONCILE_INTERVAL": "0.5"})
    assert (timing.lease_ttl_s, timing.reconcile_interval_s) == (2.5, 0.5)


@pytest.mark.parametrize(("name", "value", "says"), [
    ("ACKMIGRATE_LEASE_TTL", "soon", "ACKMIGRATE_LEASE_TTL must be a number of seconds (got 'soon')"),
    ("ACKMIGRATE_RECONCILE_INTERVAL", "0", "ACKMIGRATE_RECONCILE_INTERVAL must be at least 0.1 (got '0')"),
])
def test_a_bad_value_names_the_variable(name: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError) as refused:
        WorkerTiming.from_env({name: value})
    assert str(refused.value) == says
