"""`make bench`: run every benchmark and print their figures in one table.

Exit status 1 when a target is missed or a measure could not be taken, so a regression is visible in a
script too. A benchmark that crashes costs only the measures it had not taken yet: the figures it yielded
before, and every other benchmark's, are printed, with a row naming what is missing and why. Each
benchmark's figures are also printed to stderr as soon as it ends, so even an interrupted run (Ctrl-C)
leaves them on the screen.

`python -m tests.bench plan capacity` runs only the benchmarks named.
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback

from tests.benchmarks import Figure

BENCHMARKS = ("precheck", "ack", "capacity", "plan", "wave")


def main(names: list[str]) -> int:
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        print(f"no benchmark named {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    figures: list[Figure] = []
    try:
        for name in names or BENCHMARKS:
            figures += run_one(name)
    except KeyboardInterrupt:
        print("interrupted: the figures taken so far", file=sys.stderr)
        print_table(figures)
        return 130
    print_table(figures)
    return 1 if any(f.met is False for f in figures) else 0


def run_one(name: str) -> list[Figure]:
    """One benchmark's figures: all it yielded, then a NOT MEASURED row if it failed part-way."""
    started = time.monotonic()
    print(f"running {name} benchmark…", file=sys.stderr, flush=True)
    taken: list[Figure] = []
    try:
        module = importlib.import_module(f"tests.benchmarks.{name}")
        for figure in module.run():
            taken.append(figure)
    except Exception as error:  # noqa: BLE001 - one crashed benchmark must not lose the others' figures
        traceback.print_exc(file=sys.stderr)
        after = f"after “{taken[-1].measure}”" if taken else ""
        taken.append(Figure.not_taken(name, error, measure=after))
    print(f"  {name} done in {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    for figure in taken:
        print("  " + "  ".join(cell for cell in figure.row() if cell), file=sys.stderr, flush=True)
    return taken


def print_table(figures: list[Figure]) -> None:
    header = ("benchmark", "measure", "value", "target", "")
    rows = [header, *(f.row() for f in figures)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            print("  ".join("-" * w for w in widths))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
