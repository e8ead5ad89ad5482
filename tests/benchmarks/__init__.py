"""Benchmarks for `make bench`: each module has `run() -> Iterable[Figure]`; tests/bench.py prints them.

Timing targets live here and only here: unit tests never assert on time, because a loaded CI machine
would make them flaky; a benchmark prints its figures next to the target for a person to read.

A benchmark that fails must not lose what it measured before failing: `run()` may be a generator, so
tests/bench.py keeps every figure yielded before an exception, and a step wrapped in `measuring(...)`
names itself in the table when it fails ("C=8 plan: NOT MEASURED (ConnectionResetError: …)").
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
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
    def not_taken(cls, benchmark: str, error: BaseException, measure: str = "") -> Figure:
        """A measure that failed: the table still prints, says which measure is missing and why, and the
        run's exit status is 1 (met=False), as for a missed target."""
        if isinstance(error, MeasureFailed):
            measure, error = error.measure, error.cause
        reason = f"{type(error).__name__}: {error}".splitlines()[0][:120]
        named = f"{measure}: " if measure else ""
        return cls(benchmark, f"{named}NOT MEASURED ({reason})", math.nan, "", "", False)

    def row(self) -> tuple[str, str, str, str, str]:
        verdict = "—" if self.met is None else ("met" if self.met else "MISSED")
        value = "—" if math.isnan(self.value) else f"{self.value:,.2f} {self.unit}".strip()
        return (self.benchmark, self.measure, value, self.target, verdict)


class MeasureFailed(Exception):
    """A named step of a benchmark failed; carries the step's name for the table."""

    def __init__(self, measure: str, cause: BaseException) -> None:
        super().__init__(f"{measure}: {type(cause).__name__}: {cause}")
        self.measure = measure
        self.cause = cause


@contextmanager
def measuring(measure: str) -> Iterator[None]:
    """Run one step of a benchmark under a name, so that its failure says which measure it cost."""
    try:
        yield
    except MeasureFailed:
        raise
    except Exception as error:
        raise MeasureFailed(measure, error) from error
