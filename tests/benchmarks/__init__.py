"""Benchmarks for `make bench`: each module has `run() -> list[Figure]`; tests/bench.py prints them.

Timing targets live here and only here: unit tests never assert on time, because a loaded CI machine
would make them flaky; a benchmark prints its figures next to the target for a person to read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    benchmark: str
    measure: str
    value: float
    unit: str
    target: str  # human-readable, e.g. "≤ 35% of the sum"
    met: bool | None  # None: informational, no target

    @classmethod
    def not_taken(cls, benchmark: str, error: BaseException) -> Figure:
        """A benchmark that crashed: the table still prints, and says which measure is missing and why."""
        reason = f"{type(error).__name__}: {error}".splitlines()[0][:120]
        return cls(benchmark, f"NOT MEASURED ({reason})", math.nan, "", "", False)

    def row(self) -> tuple[str, str, str, str, str]:
        verdict = "—" if self.met is None else ("met" if self.met else "MISSED")
        value = "—" if math.isnan(self.value) else f"{self.value:,.2f} {self.unit}".strip()
        return (self.benchmark, self.measure, value, self.target, verdict)
